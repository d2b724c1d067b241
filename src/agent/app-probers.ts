// The application probes the agent runs for the kubelet. Injection pointed the
// pod's probes at /app-health/<container>/<readyz|livez|startupz> on the status
// port and recorded the originals in ISTIO_KUBE_APP_PROBERS; the agent runs those
// originals from inside the pod (as the proxy's uid, so capture lets them through).
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';

type Obj = Record<string, any>;

export interface Prober {
  httpGet?: { path?: string; port: number | string; host?: string; scheme?: string; httpHeaders?: { name: string; value: string }[] };
  tcpSocket?: { port: number | string; host?: string };
  grpc?: { port: number; service?: string };
  timeoutSeconds?: number;
}

export class ProberConfigError extends Error {}

/** Parses ISTIO_KUBE_APP_PROBERS; a broken value is an error (the agent should not start blind). */
export function parseAppProbers(text: string | undefined): Map<string, Prober> {
  const probers = new Map<string, Prober>();
  if (!text || text.trim() === '') return probers;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ProberConfigError(`ISTIO_KUBE_APP_PROBERS is not JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ProberConfigError('ISTIO_KUBE_APP_PROBERS must be a map of path to prober');
  for (const [path, value] of Object.entries(parsed as Obj)) {
    if (!/^\/app-(health|lifecycle)\/[^/]+\/[a-z]+$/.test(path)) throw new ProberConfigError(`ISTIO_KUBE_APP_PROBERS: unexpected path "${path}"`);
    const prober = value as Prober;
    if (!prober || (!prober.httpGet && !prober.tcpSocket && !prober.grpc)) throw new ProberConfigError(`ISTIO_KUBE_APP_PROBERS: ${path} has no httpGet, tcpSocket or grpc`);
    probers.set(path, prober);
  }
  return probers;
}

export interface ProbeResult {
  ok: boolean;
  status?: number;
  detail: string;
}

function portNumber(port: number | string): number {
  return typeof port === 'number' ? port : Number(port);
}

function httpProbe(prober: NonNullable<Prober['httpGet']>, host: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const secure = (prober.scheme ?? 'HTTP').toUpperCase() === 'HTTPS';
    const headers: Record<string, string> = { 'user-agent': 'kube-probe/outrigger' };
    for (const h of prober.httpHeaders ?? []) headers[h.name.toLowerCase()] = h.value;
    const options = { host: prober.host || host, port: portNumber(prober.port), path: prober.path || '/', method: 'GET', headers, timeout: timeoutMs, rejectUnauthorized: false };
    const request = (secure ? https : http).request(options, (response) => {
      response.resume();
      const status = response.statusCode ?? 0;
      // The kubelet counts 200-399 as success.
      resolve({ ok: status >= 200 && status < 400, status, detail: `HTTP ${status}` });
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', (error: NodeJS.ErrnoException) => resolve({ ok: false, detail: error.code ?? error.message }));
    request.end();
  });
}

function tcpProbe(prober: NonNullable<Prober['tcpSocket']>, host: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: prober.host || host, port: portNumber(prober.port) });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, detail: 'timeout' });
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok: true, detail: 'connected' });
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ ok: false, detail: error.code ?? error.message });
    });
  });
}

// grpc.health.v1.Health/Check, encoded by hand: HealthCheckRequest{service=1}, HealthCheckResponse{status=1}.
function encodeRequest(service: string): Buffer {
  // Field 1 is written even when empty: a zero-length message does not reach some servers.
  const bytes = Buffer.from(service, 'utf8');
  return Buffer.concat([Buffer.from([0x0a, bytes.length]), bytes]);
}

function decodeStatus(buffer: Buffer): number {
  // Field 1, varint.
  return buffer.length >= 2 && buffer[0] === 0x08 ? buffer[1]! : 0;
}

const servingStatus = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

function grpcProbe(prober: NonNullable<Prober['grpc']>, host: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const client = new grpc.Client(`${host.includes(':') ? `[${host}]` : host}:${prober.port}`, grpc.credentials.createInsecure());
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      (service: string) => encodeRequest(service),
      (buffer: Buffer) => decodeStatus(buffer),
      prober.service ?? '',
      { deadline: Date.now() + timeoutMs },
      (error, status) => {
        client.close();
        if (error) resolve({ ok: false, detail: error.details || error.message });
        else resolve({ ok: status === 1, detail: servingStatus[status ?? 0] ?? String(status) });
      },
    );
  });
}

/** Runs one prober against the app at `host` (the pod's address). */
export function runProber(prober: Prober, host: string): Promise<ProbeResult> {
  const timeoutMs = Math.max(1, prober.timeoutSeconds ?? 1) * 1000;
  if (prober.httpGet) return httpProbe(prober.httpGet, host, timeoutMs);
  if (prober.tcpSocket) return tcpProbe(prober.tcpSocket, host, timeoutMs);
  if (prober.grpc) return grpcProbe(prober.grpc, host, timeoutMs);
  return Promise.resolve({ ok: false, detail: 'no probe handler' });
}
