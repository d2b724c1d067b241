// tcp_proxy moving real bytes through real loopback sockets.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { closedWithoutData, echoServer, eventually, exchange, listenerPort, proxy, sa, stat, staticCluster, tcpProxyFilter, unusedPort } from './helpers.js';
import type { TestServer } from './helpers.js';
import type { ProxyServer } from '../../src/proxy/index.js';

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});
async function track<T extends TestServer | ProxyServer>(thing: T): Promise<T> {
  cleanups.push(() => ('shutdown' in thing ? thing.shutdown() : thing.close()));
  return thing;
}

function listener(name: string, filters: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, address: sa('127.0.0.1', 0), filter_chains: [{ filters }], ...extra };
}

describe('tcp_proxy through a STATIC cluster', () => {
  test('bytes pass both ways, half-close is forwarded, and Envoy-named stats count them', async () => {
    const a = await track(await echoServer('a'));
    const p = await track(await proxy({ static_resources: { listeners: [listener('tcp', [tcpProxyFilter('backend')])], clusters: [staticCluster('backend', [a.port])] } }));
    const port = listenerPort(p, 'tcp');
    assert.equal(await exchange(port, 'hello'), 'a:hello');
    assert.equal(await exchange(port, Buffer.alloc(1 << 20, 'x')), `a:${'x'.repeat(1 << 20)}`);
    await eventually(() => stat(p, 'cluster.backend.upstream_cx_active') === 0);
    assert.equal(stat(p, 'listener.127.0.0.1_0.downstream_cx_total'), 2);
    assert.equal(stat(p, 'listener.127.0.0.1_0.downstream_cx_active'), 0);
    assert.equal(stat(p, 'cluster.backend.upstream_cx_total'), 2);
    assert.equal(stat(p, 'tcp.backend.downstream_cx_total'), 2);
    assert.equal(stat(p, 'tcp.backend.downstream_cx_rx_bytes_total'), 5 + (1 << 20));
    assert.equal(stat(p, 'tcp.backend.downstream_cx_tx_bytes_total'), 7 + 2 + (1 << 20));
    assert.equal(stat(p, 'cluster.backend.upstream_cx_tx_bytes_total'), 5 + (1 << 20));
  });

  test('ROUND_ROBIN alternates between two hosts', async () => {
    const a = await track(await echoServer('a'));
    const b = await track(await echoServer('b'));
    const p = await track(await proxy({ static_resources: { listeners: [listener('rr', [tcpProxyFilter('two')])], clusters: [staticCluster('two', [a.port, b.port])] } }));
    const port = listenerPort(p, 'rr');
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push((await exchange(port, '.')).slice(0, 1));
    assert.deepEqual([...replies].sort(), ['a', 'a', 'b', 'b']);
    assert.notEqual(replies[0], replies[1]);
  });

  test('weighted_clusters split connections by weight', async () => {
    const a = await track(await echoServer('a'));
    const b = await track(await echoServer('b'));
    const filter = {
      name: 'envoy.filters.network.tcp_proxy',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
        stat_prefix: 'split',
        weighted_clusters: { clusters: [{ name: 'ca', weight: 80 }, { name: 'cb', weight: 20 }] },
      },
    };
    const p = await track(await proxy({ static_resources: { listeners: [listener('w', [filter])], clusters: [staticCluster('ca', [a.port]), staticCluster('cb', [b.port])] } }, 42));
    const port = listenerPort(p, 'w');
    const seen = { a: 0, b: 0 };
    for (let i = 0; i < 100; i++) seen[(await exchange(port, '')).slice(0, 1) as 'a' | 'b']++;
    assert.ok(seen.a >= 65 && seen.a <= 95, JSON.stringify(seen));
  });

  test('a refused connect is counted and closes the downstream; max_connect_attempts tries another host', async () => {
    const dead = await unusedPort();
    const a = await track(await echoServer('a'));
    const p = await track(await proxy({
      static_resources: {
        listeners: [listener('refused', [tcpProxyFilter('dead')]), listener('retry', [tcpProxyFilter('mixed', { max_connect_attempts: 2 })])],
        clusters: [staticCluster('dead', [dead]), staticCluster('mixed', [dead, a.port], { lb_policy: 'ROUND_ROBIN' })],
      },
    }));
    const result = await closedWithoutData(listenerPort(p, 'refused'));
    assert.equal(result.data, '');
    assert.equal(stat(p, 'cluster.dead.upstream_cx_connect_fail'), 1);
    assert.equal(stat(p, 'cluster.dead.upstream_cx_connect_attempts_exceeded'), 1);
    for (let i = 0; i < 4; i++) assert.equal(await exchange(listenerPort(p, 'retry'), 'x'), 'a:x');
    assert.ok(stat(p, 'cluster.mixed.upstream_cx_connect_fail')! >= 1);
  });

  test('BlackHoleCluster (STATIC, no endpoints) and an unknown cluster close the connection', async () => {
    const p = await track(await proxy({
      static_resources: {
        listeners: [listener('bh', [tcpProxyFilter('BlackHoleCluster')]), listener('missing', [tcpProxyFilter('nowhere')])],
        clusters: [{ name: 'BlackHoleCluster', type: 'STATIC', connect_timeout: '10s' }],
      },
    }));
    assert.equal((await closedWithoutData(listenerPort(p, 'bh'))).data, '');
    assert.equal(stat(p, 'cluster.BlackHoleCluster.upstream_cx_none_healthy'), 1);
    assert.equal((await closedWithoutData(listenerPort(p, 'missing'))).data, '');
    assert.equal(stat(p, 'tcp.nowhere.downstream_cx_no_route'), 1);
  });

  test('idle_timeout closes a silent connection', async () => {
    const silent = net.createServer((s) => s.on('error', () => undefined));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => void silent.close());
    const p = await track(await proxy({
      static_resources: { listeners: [listener('idle', [tcpProxyFilter('quiet', { idle_timeout: '0.2s' })])], clusters: [staticCluster('quiet', [(silent.address() as net.AddressInfo).port])] },
    }));
    const started = Date.now();
    await closedWithoutData(listenerPort(p, 'idle'));
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 150 && elapsed < 2000, `closed after ${elapsed} ms`);
    assert.equal(stat(p, 'tcp.quiet.idle_timeout'), 1);
  });

  test('a client reset mid-stream closes the upstream and the proxy keeps serving', async () => {
    const a = await track(await echoServer('a'));
    const p = await track(await proxy({ static_resources: { listeners: [listener('reset', [tcpProxyFilter('r')])], clusters: [staticCluster('r', [a.port])] } }));
    const port = listenerPort(p, 'reset');
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    await new Promise((r) => s.once('data', r));
    s.resetAndDestroy();
    await eventually(() => stat(p, 'cluster.r.upstream_cx_active') === 0);
    assert.equal(await exchange(port, 'still'), 'a:still');
  });

  test('STRICT_DNS resolves localhost before the listener opens', async () => {
    const a = await track(await echoServer('a'));
    const cluster = {
      name: 'dns', type: 'STRICT_DNS', connect_timeout: '1s', dns_lookup_family: 'V4_ONLY',
      load_assignment: { cluster_name: 'dns', endpoints: [{ lb_endpoints: [{ endpoint: { address: sa('localhost', a.port) } }] }] },
    };
    const p = await track(await proxy({ static_resources: { listeners: [listener('dns', [tcpProxyFilter('dns')])], clusters: [cluster] } }));
    assert.deepEqual(p.clusterManager.get('dns')!.hosts().map((h) => `${h.address}|${h.hostname}`), ['127.0.0.1|localhost']);
    assert.equal(await exchange(listenerPort(p, 'dns'), 'q'), 'a:q');
  });

  test('a config error leaves nothing bound', async () => {
    await assert.rejects(
      proxy({ static_resources: { listeners: [listener('ok', [tcpProxyFilter('x')]), listener('bad', [{ name: 'envoy.filters.network.echo' }])], clusters: [] } }),
      { message: 'static_resources.listeners[1]("bad").filter_chains[0].filters[0]("envoy.filters.network.echo"): unknown network filter "envoy.filters.network.echo" (supported: envoy.filters.network.tcp_proxy, envoy.tcp_proxy, envoy.filters.network.http_connection_manager, envoy.http_connection_manager)' },
    );
  });
});
