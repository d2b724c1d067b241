// The kubelet's network probes. HTTP and TCP probes must come from the node, as in
// kube: the supervisor lives in the host's network namespace, which cannot reach
// pod addresses, so this small program runs inside the node namespace and answers
// probe requests, one JSON line in, one JSON line out.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface ProbeRequest {
  id: number;
  kind: 'http' | 'tcp';
  host: string;
  port: number;
  path?: string;
  scheme?: 'HTTP' | 'HTTPS';
  headers?: [string, string][];
  timeoutMs: number;
}

export interface ProbeAnswer {
  id: number;
  ok: boolean;
  detail: string;
}

export function probeOnce(req: ProbeRequest): Promise<ProbeAnswer> {
  return new Promise((resolve) => {
    const done = (ok: boolean, detail: string) => resolve({ id: req.id, ok, detail });
    if (req.kind === 'tcp') {
      const socket = net.connect({ host: req.host, port: req.port });
      socket.setTimeout(req.timeoutMs, () => {
        socket.destroy();
        done(false, `dial tcp ${req.host}:${req.port}: i/o timeout`);
      });
      socket.once('connect', () => {
        socket.destroy();
        done(true, 'connected');
      });
      socket.once('error', (e) => done(false, `dial tcp ${req.host}:${req.port}: ${e.message}`));
      return;
    }
    const client = req.scheme === 'HTTPS' ? https : http;
    // Kube probes send their own User-Agent and accept any 2xx or 3xx answer.
    const headers: Record<string, string> = { 'User-Agent': 'kube-probe/outrigger', Accept: '*/*' };
    for (const [k, v] of req.headers ?? []) headers[k] = v;
    const request = client.request({ host: req.host, port: req.port, path: req.path ?? '/', method: 'GET', headers, timeout: req.timeoutMs, rejectUnauthorized: false }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      done(code >= 200 && code < 400, `HTTP probe failed with statuscode: ${code}`);
    });
    request.on('timeout', () => {
      request.destroy();
      done(false, `Get "${req.scheme === 'HTTPS' ? 'https' : 'http'}://${req.host}:${req.port}${req.path ?? '/'}": context deadline exceeded`);
    });
    request.on('error', (e) => done(false, `Get "http://${req.host}:${req.port}${req.path ?? '/'}": ${e.message}`));
    request.end();
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  createInterface({ input: process.stdin }).on('line', (line) => {
    let req: ProbeRequest;
    try {
      req = JSON.parse(line) as ProbeRequest;
    } catch {
      return;
    }
    void probeOnce(req).then((answer) => process.stdout.write(`${JSON.stringify(answer)}\n`));
  });
  process.stdin.on('end', () => process.exit(0));
}
