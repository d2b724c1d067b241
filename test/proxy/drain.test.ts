// SIGTERM on a real `outrigger proxy` process: stop accepting, let open
// connections finish within --drain-time-s, then exit.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { echoServer, unusedPort } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'outrigger-drain-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function startProxyProcess(backendPort: number, drainTimeS: number): Promise<{ child: ChildProcess; port: number; exited: Promise<{ code: number | null; at: number }> }> {
  const port = await unusedPort();
  const file = path.join(dir, `bootstrap-${port}.yaml`);
  writeFileSync(file, `
static_resources:
  listeners:
  - name: tcp
    address: { socket_address: { address: 127.0.0.1, port_value: ${port} } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: b, cluster: b }
  clusters:
  - name: b
    connect_timeout: 1s
    load_assignment: { cluster_name: b, endpoints: [ { lb_endpoints: [ { endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${backendPort} } } } } ] } ] }
`);
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures', 'proxy-main.ts'), '-c', file, '--drain-time-s', String(drainTimeS)], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on('exit', (code) => resolve({ code, at: Date.now() })));
  await new Promise<void>((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (stderr.includes('proxy is live')) resolve();
    });
    child.on('exit', () => reject(new Error(`proxy exited: ${stderr}`)));
  });
  return { child, port, exited };
}

function open(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    s.setEncoding('utf8');
    s.once('error', reject);
    s.once('data', () => resolve(s));
  });
}

function roundTrip(s: net.Socket, text: string): Promise<string> {
  return new Promise((resolve) => {
    s.once('data', (d: string) => resolve(d));
    s.write(text);
  });
}

describe('SIGTERM drain', () => {
  test('an open connection keeps working after SIGTERM, new ones are refused, and the process exits when it closes', async () => {
    const backend = await echoServer('b');
    try {
      const { child, port, exited } = await startProxyProcess(backend.port, 30);
      const s = await open(port);
      child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 200));
      await assert.rejects(open(port), { code: 'ECONNREFUSED' });
      assert.equal(await roundTrip(s, 'still here'), 'still here');
      const closedAt = Date.now();
      s.end();
      const { code, at } = await exited;
      assert.equal(code, 0);
      assert.ok(at - closedAt < 5000, 'exits soon after the last connection closes, well before the drain time');
    } finally {
      await backend.close();
    }
  });

  test('a connection still open at the end of the drain time is closed and the process exits', async () => {
    const backend = await echoServer('b');
    try {
      const { child, port, exited } = await startProxyProcess(backend.port, 1);
      const s = await open(port);
      const closed = new Promise((r) => s.on('close', r));
      s.on('end', () => s.end());
      const sentAt = Date.now();
      child.kill('SIGTERM');
      const { code, at } = await exited;
      await closed;
      assert.equal(code, 0);
      assert.ok(at - sentAt >= 900 && at - sentAt < 5000, `exited after ${at - sentAt} ms`);
    } finally {
      await backend.close();
    }
  });
});

describe('outrigger proxy command line', () => {
  test('a bad bootstrap exits non-zero with the error', async () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'static_resources: { listeners: [ { name: l, freebind: true } ] }\n');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures', 'proxy-main.ts'), '-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise((r) => child.on('exit', r));
    assert.notEqual(code, 0);
    assert.match(stderr, /static_resources\.listeners\[0\]\("l"\): field "freebind" of envoy\.config\.listener\.v3\.Listener is not supported by the outrigger proxy/);
  });
});
