// --concurrency 2 on a real `outrigger proxy` process: the main process and one
// forked worker accept on the same listening sockets. Which process holds an
// accepted connection is read from /proc (the socket's inode in /proc/net/tcp,
// then the process whose fd table has it); to make one process take a
// connection, the other is stopped (SIGSTOP) while the client connects, so
// nothing here depends on how the kernel happens to spread accepts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAdsServer } from '../../src/xds/ads-server.js';
import type { AdsServer, AdsSource, JsonObject } from '../../src/xds/ads-server.js';
import { ClusterType, EndpointType, ListenerType, RouteType } from '../../src/xds/ads-client.js';
import { setSink } from '../../src/log/index.js';
import { StatsStore } from '../../src/proxy/stats.js';
import { mergeClusterStatuses, mergeStats, retire } from '../../src/proxy/workers/stats-merge.js';
import type { HostSample, StatSample } from '../../src/proxy/workers/stats-merge.js';
import { echoServer, unusedPort } from './helpers.js';
import type { TestServer } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'ortest-concurrency-'));
const restoreSink = setSink(() => undefined);
const children: ChildProcess[] = [];
const seenPids = new Set<number>();
const cleanups: (() => Promise<void> | void)[] = [];

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

after(async () => {
  for (const pid of seenPids) {
    signal(pid, 'SIGCONT');
    signal(pid, 'SIGKILL');
  }
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const c of cleanups.reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
  setSink(restoreSink);
});

// ---- processes and sockets, from /proc ----

function parentOf(pid: number): number | undefined {
  try {
    // "pid (comm) state ppid ...": comm may hold spaces, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

function processes(): number[] {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
}

/** The proxy's worker processes: its children running the worker entry (tsx's esbuild is a child too). */
function workersOf(mainPid: number): number[] {
  const pids = processes().filter((p) => parentOf(p) === mainPid && commandLine(p).includes('worker-main'));
  for (const p of pids) seenPids.add(p);
  return pids.sort((a, b) => a - b);
}

/** Every process below `pid` (workers, and the esbuild service tsx runs in each). */
function descendantsOf(pid: number): number[] {
  const all = processes().map((p) => [p, parentOf(p)] as const);
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [p, pp] of all) {
      if (pp !== parent) continue;
      found.push(p);
      walk(p);
    }
  };
  walk(pid);
  return found;
}

function alive(pid: number): boolean {
  // A zombie has exited; only its parent has not reaped it yet.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function portHex(port: number): string {
  return port.toString(16).toUpperCase().padStart(4, '0');
}

/** Which of `pids` holds the accepted side of the connection from clientPort to listenerPort. */
function ownerOf(listenerPort: number, clientPort: number, pids: readonly number[]): number | undefined {
  let inode: string | undefined;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    if (fields[1]!.endsWith(`:${portHex(listenerPort)}`) && fields[2]!.endsWith(`:${portHex(clientPort)}`)) inode = fields[9];
  }
  if (!inode || inode === '0') return undefined;
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`) return pid;
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined;
}

/** Runs `work` while `pid` is stopped, so that the proxy's other processes take every new connection. */
async function whileStopped<T>(pid: number, work: () => Promise<T>): Promise<T> {
  process.kill(pid, 'SIGSTOP');
  try {
    return await work();
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

async function until<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`not ${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ---- clients that report who served them ----

/** A TCP exchange through an echo backend; resolves with the reply and the process that held the connection. */
function tcpThrough(port: number, payload: string, pids: readonly number[]): Promise<{ reply: string; owner: number | undefined }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('connect', () => socket.write(payload));
    socket.on('data', (d: string) => {
      reply += d;
      if (!reply.endsWith(payload)) return;
      const owner = ownerOf(port, socket.localPort!, pids);
      socket.end();
      socket.on('close', () => resolve({ reply, owner }));
    });
  });
}

/** One HTTP/1.1 request on its own connection, kept open until the owner is known. */
function httpThrough(port: number, pids: readonly number[]): Promise<{ status: number; body: string; owner: number | undefined }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = '';
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('connect', () => socket.write('GET / HTTP/1.1\r\nhost: test\r\n\r\n'));
    socket.on('data', (d: string) => {
      data += d;
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(data.slice(0, end))?.[1] ?? 0);
      if (data.length < end + 4 + length) return;
      const owner = ownerOf(port, socket.localPort!, pids);
      socket.end();
      socket.on('close', () => resolve({ status: Number(data.slice(9, 12)), body: data.slice(end + 4, end + 4 + length), owner }));
    });
  });
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
    socket.on('connect', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

async function named(name: string): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => res.end(name));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

async function admin(adminPort: number, pathname: string): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${adminPort}${pathname}`);
  return response.text();
}

async function statValue(adminPort: number, name: string): Promise<number> {
  const text = await admin(adminPort, `/stats?filter=${encodeURIComponent(`^${name.replace(/[.|]/g, '\\$&')}$`)}`);
  const match = new RegExp(`^${name.replace(/[.|]/g, '\\$&')}: (\\d+)$`, 'm').exec(text);
  assert.ok(match, `no stat ${name} in ${JSON.stringify(text)}`);
  return Number(match[1]);
}

// ---- a control plane the test drives ----

class TestSource implements AdsSource {
  version = 'v1';
  private readonly watchers = new Set<() => void>();
  constructor(private resources: Record<string, JsonObject[]>) {}
  connect() {
    return {
      version: () => this.version,
      resources: (typeUrl: string, names: readonly string[]) =>
        (this.resources[typeUrl] ?? []).filter((r) => names.length === 0 || names.includes(String(r['name'] ?? r['cluster_name']))),
      onChange: (listener: () => void) => {
        this.watchers.add(listener);
        return () => this.watchers.delete(listener);
      },
    };
  }
  push(version: string, change: Record<string, JsonObject[]>): void {
    this.version = version;
    this.resources = { ...this.resources, ...change };
    for (const w of this.watchers) w();
  }
}

function acked(ads: AdsServer, typeUrl: string, version: string): boolean {
  return ads.streams().some((s) => s.watches.some((w) => w.typeUrl === typeUrl && w.ackedVersion === version));
}

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } };
const TCP_PROXY = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

const endpoint = (port: number) => ({ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } });
const staticCluster = (name: string, port: number) => ({ name, type: 'STATIC', connect_timeout: '1s', load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [endpoint(port)] }] } });
const tcpListener = (name: string, port: number, cluster: string) => ({
  name,
  address: { socket_address: { address: '127.0.0.1', port_value: port } },
  filter_chains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': TCP_PROXY, stat_prefix: cluster, cluster } }] }],
});
const httpListener = (name: string, port: number, routes: Record<string, unknown>) => ({
  name,
  address: { socket_address: { address: '127.0.0.1', port_value: port } },
  filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: { '@type': HCM, stat_prefix: name, ...routes, http_filters: [ROUTER] } }] }],
});
const routeTo = (name: string, cluster: string) => ({ name, virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster } }] }] });
const assignment = (cluster: string, port: number) => ({ cluster_name: cluster, endpoints: [{ lb_endpoints: [endpoint(port)] }] });

interface ProxyProcess {
  child: ChildProcess;
  pid: number;
  adminPort: number;
  stderr(): string;
  exited: Promise<number | null>;
}

function startProxyProcess(bootstrap: Record<string, unknown>, args: string[]): Promise<ProxyProcess> {
  const file = path.join(dir, `bootstrap-${children.length}.json`);
  writeFileSync(file, JSON.stringify(bootstrap));
  return startProcess('proxy-main.ts', ['-c', file, ...args], /proxy is live: .*admin on 127\.0\.0\.1:(\d+)/);
}

/** Spawns a fixture and waits for the line that says it is up and names its admin port. */
async function startProcess(fixture: string, args: string[], up: RegExp, env: NodeJS.ProcessEnv = process.env): Promise<ProxyProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures', fixture), ...args], { stdio: ['ignore', 'ignore', 'pipe'], env });
  children.push(child);
  seenPids.add(child.pid!);
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const adminPort = await new Promise<number>((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const live = up.exec(stderr);
      if (live) resolve(Number(live[1]));
    });
    child.on('exit', () => reject(new Error(`proxy exited: ${stderr}`)));
  });
  return { child, pid: child.pid!, adminPort, stderr: () => stderr, exited };
}

describe('--concurrency 2: a worker process beside the main process', () => {
  let echo: TestServer;
  let web: Awaited<ReturnType<typeof named>>;
  let a: Awaited<ReturnType<typeof named>>;
  let b: Awaited<ReturnType<typeof named>>;
  let ads: AdsServer;
  let source: TestSource;
  let proxy: ProxyProcess;
  let worker = 0;
  const ports = { tcp: 0, http: 0, dyn: 0, added: 0 };

  before(async () => {
    echo = await echoServer('echo');
    web = await named('web');
    a = await named('from-a');
    b = await named('from-b');
    cleanups.push(() => echo.close(), () => web.close(), () => a.close(), () => b.close());
    for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await unusedPort();
    source = new TestSource({
      [ClusterType]: [{ name: 'dyn', type: 'EDS', connect_timeout: '1s', eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } } }],
      [EndpointType]: [assignment('dyn', a.port)],
      [ListenerType]: [httpListener('dyn', ports.dyn, { rds: { config_source: { ads: {}, resource_api_version: 'V3' }, route_config_name: 'dyn-routes' } })],
      [RouteType]: [routeTo('dyn-routes', 'dyn')],
    });
    ads = await startAdsServer({ address: '127.0.0.1:0', source });
    cleanups.push(() => ads.close());
    proxy = await startProxyProcess({
      node: { id: 'sidecar~127.0.0.1~concurrency.test~test.svc.cluster.local', cluster: 'test' },
      admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
      dynamic_resources: { ads_config: { api_type: 'GRPC', grpc_services: [{ envoy_grpc: { cluster_name: 'xds-grpc' } }] }, cds_config: { ads: {} }, lds_config: { ads: {} } },
      static_resources: {
        clusters: [staticCluster('echo', echo.port), staticCluster('web', web.port), { ...staticCluster('xds-grpc', ads.port), typed_extension_protocol_options: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', explicit_http_config: { http2_protocol_options: {} } } } }],
        listeners: [tcpListener('tcp', ports.tcp, 'echo'), httpListener('http', ports.http, { route_config: routeTo('local', 'web') })],
      },
    }, ['--concurrency', '2']);
    await until('configured from ADS', () => [ClusterType, EndpointType, ListenerType, RouteType].every((t) => acked(ads, t, 'v1')));
  });

  test('one worker is forked; /server_info and server.concurrency say 2', async () => {
    const workers = workersOf(proxy.pid);
    assert.equal(workers.length, 1, `workers: ${workers.join(' ')}`);
    worker = workers[0]!;
    assert.equal((JSON.parse(await admin(proxy.adminPort, '/server_info')) as { command_line_options: { concurrency: number } }).command_line_options.concurrency, 2);
    assert.equal(await statValue(proxy.adminPort, 'server.concurrency'), 2);
  });

  test('both processes accept on the same listeners and proxy TCP and HTTP; /stats counts every request once', async () => {
    const pids = [proxy.pid, worker];
    const served = new Map<number, number>();
    let tcp = 0;
    let requests = 0;
    // Each process in turn is the only one running, so the other must take the connections.
    for (const [stopped, expected] of [[proxy.pid, worker], [worker, proxy.pid]] as const) {
      await whileStopped(stopped, async () => {
        for (let i = 0; i < 3; i++) {
          const t = await tcpThrough(ports.tcp, `hello ${i}`, pids);
          assert.equal(t.reply, `echo:hello ${i}`);
          assert.equal(t.owner, expected);
          tcp++;
          const h = await httpThrough(ports.http, pids);
          assert.deepEqual([h.status, h.body], [200, 'web']);
          assert.equal(h.owner, expected);
          requests++;
          served.set(expected, (served.get(expected) ?? 0) + 2);
        }
      });
    }
    assert.equal(served.size, 2);
    // And with both running, connections are still served (by whichever process the kernel picks).
    for (let i = 0; i < 4; i++) {
      const h = await httpThrough(ports.http, pids);
      assert.ok(h.owner === proxy.pid || h.owner === worker, `owner ${h.owner}`);
      requests++;
    }
    assert.equal(await statValue(proxy.adminPort, 'http.http.downstream_rq_total'), requests);
    assert.equal(await statValue(proxy.adminPort, 'cluster.web.upstream_rq_total'), requests);
    assert.equal(await statValue(proxy.adminPort, 'listener.127.0.0.1_' + ports.http + '.downstream_cx_total'), requests);
    assert.equal(await statValue(proxy.adminPort, 'tcp.echo.downstream_cx_total'), tcp);
    assert.equal(await statValue(proxy.adminPort, 'cluster.echo.upstream_cx_total'), tcp);
    // Config-derived stats are not multiplied by the number of processes.
    assert.equal(await statValue(proxy.adminPort, 'cluster.web.membership_total'), 1);
    const prometheus = await admin(proxy.adminPort, '/stats/prometheus');
    assert.match(prometheus, new RegExp(`^envoy_http_downstream_rq_total\\{envoy_http_conn_manager_prefix="http"\\} ${requests}$`, 'm'));
    const clusters = await admin(proxy.adminPort, '/clusters');
    assert.match(clusters, new RegExp(`^web::127\\.0\\.0\\.1:${web.port}::rq_total::${requests}$`, 'm'));
    assert.match(clusters, new RegExp(`^echo::127\\.0\\.0\\.1:${echo.port}::cx_total::${tcp}$`, 'm'));
  });

  test('xDS updates reach the worker: endpoints, a new listener (its socket handed over), a removal', async () => {
    const pids = [proxy.pid, worker];
    await whileStopped(proxy.pid, async () => {
      const h = await httpThrough(ports.dyn, pids);
      assert.deepEqual([h.body, h.owner], ['from-a', worker]);
    });

    source.push('v2', { [EndpointType]: [assignment('dyn', b.port)] });
    await until('v2 ACKed', () => acked(ads, EndpointType, 'v2'));
    for (const [stopped, expected] of [[proxy.pid, worker], [worker, proxy.pid]] as const) {
      await whileStopped(stopped, async () => {
        const h = await httpThrough(ports.dyn, pids);
        assert.deepEqual([h.body, h.owner], ['from-b', expected]);
      });
    }

    source.push('v3', { [ListenerType]: [httpListener('dyn', ports.dyn, { rds: { config_source: { ads: {}, resource_api_version: 'V3' }, route_config_name: 'dyn-routes' } }), tcpListener('added', ports.added, 'echo')] });
    await until('v3 ACKed', () => acked(ads, ListenerType, 'v3'));
    for (const [stopped, expected] of [[proxy.pid, worker], [worker, proxy.pid]] as const) {
      await whileStopped(stopped, async () => {
        const t = await tcpThrough(ports.added, 'new', pids);
        assert.deepEqual([t.reply, t.owner], ['echo:new', expected]);
      });
    }

    source.push('v4', { [ListenerType]: [httpListener('dyn', ports.dyn, { rds: { config_source: { ads: {}, resource_api_version: 'V3' }, route_config_name: 'dyn-routes' } })] });
    await until('v4 ACKed', () => acked(ads, ListenerType, 'v4'));
    // Refused only once no process holds the socket any more.
    assert.equal(await refused(ports.added), true);
  });

  test('a killed worker is restarted with the whole configuration; the proxy serves meanwhile and its counters do not go back', async () => {
    const pids = [proxy.pid, worker];
    const before = await statValue(proxy.adminPort, 'http.http.downstream_rq_total');
    process.kill(worker, 'SIGKILL');
    // The main process keeps serving while the worker is gone.
    const meanwhile = await httpThrough(ports.http, pids);
    assert.deepEqual([meanwhile.status, meanwhile.owner], [200, proxy.pid]);
    const restarted = await until('a new worker', () => workersOf(proxy.pid).find((p) => p !== worker && alive(p)));
    await until('the restart logged', () => /worker 1 restarted/.test(proxy.stderr()));
    assert.match(proxy.stderr(), new RegExp(`worker 1 \\(pid ${worker}\\) exited \\(SIGKILL\\); restarting it`));
    worker = restarted;
    // The new worker has the static listeners and what came over xDS (endpoints v2).
    await whileStopped(proxy.pid, async () => {
      const h = await httpThrough(ports.http, [proxy.pid, worker]);
      assert.deepEqual([h.body, h.owner], ['web', worker]);
      const d = await httpThrough(ports.dyn, [proxy.pid, worker]);
      assert.deepEqual([d.body, d.owner], ['from-b', worker]);
    });
    assert.equal(await statValue(proxy.adminPort, 'http.http.downstream_rq_total'), before + 2);
  });

  test('SIGTERM: every process stops accepting, open connections finish, then all exit', async () => {
    const pids = [proxy.pid, worker];
    // A connection held open by the worker across the drain.
    const held = await whileStopped(proxy.pid, async () => {
      const socket = net.connect({ host: '127.0.0.1', port: ports.tcp, allowHalfOpen: true });
      socket.setEncoding('utf8');
      await new Promise((r) => socket.once('data', r));
      assert.equal(ownerOf(ports.tcp, socket.localPort!, pids), worker);
      return socket;
    });
    const descendants = descendantsOf(proxy.pid);
    assert.ok(descendants.includes(worker));
    proxy.child.kill('SIGTERM');
    await until('new connections refused', () => refused(ports.tcp));
    assert.equal(await refused(ports.http), true);
    assert.ok(alive(worker), 'the worker drains its open connection');
    const echoed = new Promise<string>((resolve) => held.once('data', resolve));
    held.write('still here');
    assert.equal(await echoed, 'still here');
    held.end();
    assert.equal(await proxy.exited, 0);
    // No orphans: the worker and everything below the proxy go with it.
    await until('every process of the proxy gone', () => descendants.every((p) => !alive(p)));
    assert.match(proxy.stderr(), /draining: .*\(and those of 1 workers\)/);
  });
});

describe('--concurrency 1', () => {
  test('forks no worker', async () => {
    const port = await unusedPort();
    const echo = await echoServer('one');
    cleanups.push(() => echo.close());
    const proxy = await startProxyProcess({
      admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
      static_resources: { clusters: [staticCluster('one', echo.port)], listeners: [tcpListener('tcp', port, 'one')] },
    }, ['--concurrency', '1']);
    assert.deepEqual(workersOf(proxy.pid), []);
    const t = await tcpThrough(port, 'x', [proxy.pid]);
    assert.deepEqual([t.reply, t.owner], ['one:x', proxy.pid]);
    proxy.child.kill('SIGTERM');
    assert.equal(await proxy.exited, 0);
  });
});

describe('the sidecar agent with concurrency 2', () => {
  test("the agent's proxy forks a worker that serves what discovery sends, and takes it down on SIGTERM", async () => {
    const echo = await echoServer('sidecar');
    cleanups.push(() => echo.close());
    const port = await unusedPort();
    const source = new TestSource({ [ClusterType]: [staticCluster('sidecar-echo', echo.port)], [ListenerType]: [tcpListener('sidecar-tcp', port, 'sidecar-echo')] });
    const ads = await startAdsServer({ address: '127.0.0.1:0', source });
    cleanups.push(() => ads.close());
    const env = { ...process.env, POD_NAME: 'web-7d4b9c-x2x', POD_NAMESPACE: 'default', INSTANCE_IP: '127.0.0.1', PROXY_CONFIG: JSON.stringify({ proxyAdminPort: 0 }) };
    const sidecar = await startProcess('sidecar-main.ts', ['2', `127.0.0.1:${ads.port}`], /sidecar started: admin on 127\.0\.0\.1:(\d+)/, env);
    await until('configured from discovery', () => acked(ads, ClusterType, 'v1') && acked(ads, ListenerType, 'v1'));
    const workers = workersOf(sidecar.pid);
    assert.equal(workers.length, 1);
    await whileStopped(sidecar.pid, async () => {
      const t = await tcpThrough(port, 'via worker', [sidecar.pid, workers[0]!]);
      assert.deepEqual([t.reply, t.owner], ['sidecar:via worker', workers[0]]);
    });
    assert.equal(await statValue(sidecar.adminPort, 'server.concurrency'), 2);
    const descendants = descendantsOf(sidecar.pid);
    sidecar.child.kill('SIGTERM');
    assert.equal(await sidecar.exited, 0);
    await until('every process of the sidecar gone', () => descendants.every((p) => !alive(p)));
  });
});

describe('merging the workers\' stats', () => {
  const sample = (name: string, type: 'counter' | 'gauge', value: number): StatSample => [name, type, `envoy_${name.replace(/\W/g, '_')}`, [], value];

  test('counters and gauges add up; what every process derives from config takes the largest value; unknown stats are added', () => {
    const own = new StatsStore();
    own.counter('cluster.web.upstream_rq_total').inc(3);
    own.gauge('cluster.web.upstream_cx_active').set(1);
    own.gauge('cluster.web.membership_total').set(2);
    own.gauge('cluster.web.circuit_breakers.default.cx_open').set(0);
    own.counter('cluster.web.update_success');
    const merged = mergeStats(own.all(), [
      [sample('cluster.web.upstream_rq_total', 'counter', 4), sample('cluster.web.upstream_cx_active', 'gauge', 2), sample('cluster.web.membership_total', 'gauge', 2), sample('cluster.web.circuit_breakers.default.cx_open', 'gauge', 1)],
      [sample('cluster.web.upstream_rq_total', 'counter', 5), sample('cluster.web.update_success', 'counter', 1), sample('http.in.downstream_rq_total', 'counter', 7)],
    ]);
    assert.deepEqual(merged.map((s) => [s.name, s.value, s.used]), [
      ['cluster.web.circuit_breakers.default.cx_open', 1, true],
      ['cluster.web.membership_total', 2, true],
      ['cluster.web.update_success', 1, true],
      ['cluster.web.upstream_cx_active', 3, true],
      ['cluster.web.upstream_rq_total', 12, true],
      ['http.in.downstream_rq_total', 7, true],
    ]);
    // The main process's own store is not changed by a merge.
    assert.equal(own.find('cluster.web.upstream_rq_total')!.value, 3);
  });

  test('an exited worker leaves its counters, not its gauges', () => {
    const first = retire({ stats: [], hosts: [] }, { stats: [sample('a.rq_total', 'counter', 2), sample('a.cx_active', 'gauge', 5)], hosts: [] });
    const second = retire(first, { stats: [sample('a.rq_total', 'counter', 3)], hosts: [] });
    assert.deepEqual(second.stats.map((s) => [s[0], s[4]]), [['a.rq_total', 5]]);
  });

  test('/clusters: host counters summed, ejected if any process ejected it, hosts only a worker knows listed, a retired-only host not revived', () => {
    const host = (key: string, extra: Partial<HostSample> = {}): HostSample => ({
      cluster: 'c', key, address: key.split(':')[0]!, port: Number(key.split(':')[1]), hostname: '', health: 'UNKNOWN', weight: 1, priority: 0, locality: {},
      ejected: false, cxActive: 1, cxTotal: 2, cxConnectFail: 0, rqTotal: 3, rqError: 1, activeRequests: 0, ...extra,
    });
    const own = [{ name: 'c', statName: 'c', addedViaApi: false, circuitBreakers: { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 }, hosts: [host('10.0.0.1:80')] }];
    const [merged] = mergeClusterStatuses(own, [[host('10.0.0.1:80', { ejected: true }), host('10.0.0.2:80')]], [host('10.0.0.1:80', { cxActive: 0 }), host('10.0.0.9:80')]);
    assert.deepEqual(merged!.hosts.map((h) => [h.key, h.cxActive, h.cxTotal, h.rqTotal, h.ejected]), [
      ['10.0.0.1:80', 2, 6, 9, true],
      ['10.0.0.2:80', 1, 2, 3, false],
    ]);
  });
});
