// How long pooled connections live: max_requests_per_connection and idle_timeout
// of common_http_protocol_options, upstream (a cluster's HttpProtocolOptions, or
// the older cluster field) and downstream (the connection manager's), counted as
// TCP connections and HTTP/2 sessions at the real servers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import type net from 'node:net';
import { decodeResourceJson, typeUrls } from '../../src/proxy/index.js';
import type { ProxyServer } from '../../src/proxy/index.js';
import { eventually, listenerPort, proxy, sa, stat, staticCluster } from './helpers.js';
import { connectionManager, recordingUpstream, send } from './http-peers.js';
import type { RecordingUpstream } from './http-peers.js';

const OPTIONS_KEY = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const protocolOptions = (common: Record<string, unknown>, protocol: Record<string, unknown> = { explicit_http_config: { http_protocol_options: {} } }) => ({
  typed_extension_protocol_options: { [OPTIONS_KEY]: { '@type': `type.googleapis.com/${OPTIONS_KEY}`, ...protocol, common_http_protocol_options: common } },
});

/** An h2c server that counts its sessions, and those that have closed. */
async function h2Upstream(): Promise<{ port: number; sessions(): number; closed(): number; close(): Promise<void> }> {
  let sessions = 0;
  let closed = 0;
  const server = http2.createServer((req, res) => res.end(`h2 ${req.url}`));
  server.on('session', (session) => {
    sessions++;
    session.once('close', () => closed++);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    sessions: () => sessions,
    closed: () => closed,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe('upstream connection lifetime', () => {
  let limited: RecordingUpstream;
  let legacy: RecordingUpstream;
  let unlimited: RecordingUpstream;
  let single: RecordingUpstream;
  let idle: RecordingUpstream;
  let h2: Awaited<ReturnType<typeof h2Upstream>>;
  let h2Idle: Awaited<ReturnType<typeof h2Upstream>>;
  let p: ProxyServer;
  let port: number;
  before(async () => {
    limited = await recordingUpstream('limited');
    legacy = await recordingUpstream('legacy');
    unlimited = await recordingUpstream('unlimited');
    single = await recordingUpstream('single');
    idle = await recordingUpstream('idle');
    h2 = await h2Upstream();
    h2Idle = await h2Upstream();
    const routes = { name: 'pool', virtual_hosts: [{ name: 'all', domains: ['*'], routes: ['limited', 'legacy', 'unlimited', 'single', 'idle', 'h2idle', 'h2'].map((c) => ({ match: { prefix: `/${c}` }, route: { cluster: c } })) }] };
    p = await proxy({
      static_resources: {
        listeners: [{ name: 'pool', address: sa('127.0.0.1', 0), filter_chains: [{ filters: [connectionManager('pool', routes)] }] }],
        clusters: [
          staticCluster('limited', [limited.port], protocolOptions({ max_requests_per_connection: 3 })),
          // Envoy's older cluster-level field.
          staticCluster('legacy', [legacy.port], { max_requests_per_connection: 2 }),
          staticCluster('unlimited', [unlimited.port]),
          // One request per connection and one connection at a time: the queued requests each get a new one.
          staticCluster('single', [single.port], { ...protocolOptions({ max_requests_per_connection: 1 }), circuit_breakers: { thresholds: [{ max_connections: 1 }] } }),
          staticCluster('idle', [idle.port], protocolOptions({ idle_timeout: '0.2s' })),
          staticCluster('h2', [h2.port], protocolOptions({ max_requests_per_connection: 2 }, { explicit_http_config: { http2_protocol_options: {} } })),
          staticCluster('h2idle', [h2Idle.port], protocolOptions({ idle_timeout: '0.2s' }, { explicit_http_config: { http2_protocol_options: {} } })),
        ],
      },
    });
    port = listenerPort(p, 'pool');
  });
  after(async () => {
    await p.shutdown();
    for (const u of [limited, legacy, unlimited, single, idle, h2, h2Idle]) await u.close();
  });

  test('max_requests_per_connection 3: seven requests take three upstream connections', async () => {
    for (let i = 0; i < 7; i++) assert.equal((await send(port, `/limited/${i}`)).status, 200);
    assert.equal(limited.connections(), 3);
    assert.deepEqual(limited.seen.map((s) => s.connection), [0, 0, 0, 1, 1, 1, 2]);
    assert.equal(stat(p, 'cluster.limited.upstream_cx_max_requests'), 2);
    // The full connections are closed, not left idle in the pool.
    await eventually(() => limited.closed() === 2);
  });

  test('the cluster\'s older max_requests_per_connection field works the same way', async () => {
    for (let i = 0; i < 4; i++) assert.equal((await send(port, '/legacy')).status, 200);
    assert.deepEqual(legacy.seen.map((s) => s.connection), [0, 0, 1, 1]);
  });

  test('without a limit one keep-alive connection carries them all', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await send(port, '/unlimited')).status, 200);
    assert.equal(unlimited.connections(), 1);
  });

  test('requests queued for a connection at its limit get new connections, and all succeed', async () => {
    const replies = await Promise.all(Array.from({ length: 5 }, (_, i) => send(port, `/single/${i}`)));
    assert.deepEqual(replies.map((r) => r.status), [200, 200, 200, 200, 200]);
    assert.equal(single.connections(), 5);
    assert.deepEqual(single.seen.map((s) => s.connection).sort(), [0, 1, 2, 3, 4]);
  });

  test('idle_timeout closes a pooled connection left without requests; the next request opens another', async () => {
    assert.equal((await send(port, '/idle')).status, 200);
    await eventually(() => idle.closed() === 1, 3000);
    assert.equal((await send(port, '/idle')).status, 200);
    assert.equal(idle.connections(), 2);
  });

  test('HTTP/2 upstream: a session carries max_requests_per_connection streams, then the next one opens', async () => {
    for (let i = 0; i < 5; i++) {
      const reply = await send(port, `/h2/${i}`);
      assert.equal(reply.body, `h2 /h2/${i}`);
    }
    assert.equal(h2.sessions(), 3);
    assert.equal(stat(p, 'cluster.h2.upstream_cx_max_requests'), 2);
    // Each full session is closed once its streams are done.
    await eventually(() => h2.closed() === 2);
  });

  test('HTTP/2 upstream: idle_timeout closes a session without streams', async () => {
    assert.equal((await send(port, '/h2idle')).status, 200);
    await eventually(() => h2Idle.closed() === 1, 3000);
    assert.equal((await send(port, '/h2idle')).status, 200);
    assert.equal(h2Idle.sessions(), 2);
  });
});

describe('downstream connection lifetime', () => {
  let up: RecordingUpstream;
  let p: ProxyServer;
  let port: number;
  before(async () => {
    up = await recordingUpstream('up');
    const routes = { virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'up' } }] }] };
    p = await proxy({
      static_resources: {
        listeners: [{ name: 'limited', address: sa('127.0.0.1', 0), filter_chains: [{ filters: [connectionManager('limited', routes, { common_http_protocol_options: { max_requests_per_connection: 2 } })] }] }],
        clusters: [staticCluster('up', [up.port])],
      },
    });
    port = listenerPort(p, 'limited');
  });
  after(async () => {
    await p.shutdown();
    await up.close();
  });

  test('HTTP/1.1: the connection manager closes a client connection after two requests', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<net.Socket>();
    const connectionHeaders: (string | undefined)[] = [];
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path: '/', headers: { host: 'svc' }, agent }, (res) => {
          connectionHeaders.push(res.headers['connection']);
          res.resume();
          res.on('end', () => resolve());
        });
        req.on('socket', (s) => sockets.add(s));
        req.on('error', reject);
        req.end();
      });
    }
    agent.destroy();
    assert.equal(sockets.size, 3);
    assert.deepEqual(connectionHeaders, ['keep-alive', 'close', 'keep-alive', 'close', 'keep-alive']);
  });

  test('HTTP/2: the session gets GOAWAY after its second stream, which still completes', async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const goaway = new Promise<void>((resolve) => session.once('goaway', () => resolve()));
    const get = () => new Promise<number>((resolve, reject) => {
      const s = session.request({ ':path': '/', ':authority': 'svc' });
      s.on('response', (h) => resolve(Number(h[':status'])));
      s.on('error', reject);
      s.resume();
      s.end();
    });
    try {
      assert.equal(await get(), 200);
      assert.equal(await get(), 200);
      await goaway;
    } finally {
      session.destroy();
    }
  });
});

describe('connection lifetime configuration', () => {
  test('fields of common_http_protocol_options the proxy does not implement are refused by name', () => {
    assert.throws(() => decodeResourceJson(typeUrls.cluster, { name: 'c', ...protocolOptions({ max_connection_duration: '60s' }) }),
      /field "max_connection_duration" of envoy\.config\.core\.v3\.HttpProtocolOptions is not supported/);
  });
});
