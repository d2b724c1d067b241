// IPv6 on the sidecar path, with real sockets on 127.0.0.1 and ::1: Istio's
// dual-stack listeners (0.0.0.0 plus the additional address ::), hand-off by
// an IPv6 original destination, per-family virtualInbound chains, and
// per-family upstream source addresses (127.0.0.6 and, in a pod, ::6).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ConfigError, decodeListener, setOriginalDstLookup } from '../../src/proxy/index.js';
import type { ProxyServer } from '../../src/proxy/index.js';
import { echoServer, exchange, httpGet, listenerPort, proxy, sa, stat, staticCluster, tcpProxyFilter, unusedPort } from './helpers.js';
import type { TestServer } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});
async function track<T extends TestServer | ProxyServer>(thing: T): Promise<T> {
  cleanups.push(() => ('shutdown' in thing ? thing.shutdown() : thing.close()));
  return thing;
}

/** Loopback has no REDIRECT: the test says where each client port "originally" went. */
const originalDestinations = new Map<number, { address: string; port: number }>();
const previousLookup = setOriginalDstLookup((c) => originalDestinations.get(c.remoteAddress.port));
cleanups.push(() => void setOriginalDstLookup(previousLookup));

/** Connects to host:port from a known local port, sends `payload`, half-closes; resolves with all bytes received. */
async function connectAs(host: string, port: number, original: { address: string; port: number }, payload: string): Promise<string> {
  const localPort = await unusedPort();
  originalDestinations.set(localPort, original);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, localAddress: host, localPort, allowHalfOpen: true });
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (data += d));
    socket.on('error', reject);
    socket.on('end', () => socket.end());
    socket.on('close', () => resolve(data));
    socket.on('connect', () => socket.end(payload));
  });
}

const ORIGINAL_DST_FILTER = { name: 'envoy.filters.listener.original_dst', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst' } };
const ANY6 = (port: number) => [{ address: sa('::', port) }];
const passthrough = (name: string, extra: Record<string, unknown> = {}) => ({ name, type: 'ORIGINAL_DST', connect_timeout: '1s', lb_policy: 'CLUSTER_PROVIDED', ...extra });

describe('dual-stack listeners (additional_addresses)', () => {
  test('0.0.0.0:P with the additional address [::]:P accepts on both families and runs the same chains; admin shows both addresses', async () => {
    const backend = await track(await echoServer('backend'));
    const port = await unusedPort();
    const p = await track(await proxy({
      admin: { address: sa('127.0.0.1', 0) },
      static_resources: {
        listeners: [{ name: 'virtualOutbound', address: sa('0.0.0.0', port), additional_addresses: ANY6(port), filter_chains: [{ filters: [tcpProxyFilter('backend')] }] }],
        clusters: [staticCluster('backend', [backend.port])],
      },
    }));
    assert.equal(await exchange(port, 'v4', '127.0.0.1'), 'backend:v4');
    assert.equal(await exchange(port, 'v6', '::1'), 'backend:v6');
    assert.equal(stat(p, 'listener.0.0.0.0_' + port + '.downstream_cx_total'), 2);
    const admin = p.adminAddress!.port;
    assert.equal((await httpGet(admin, '/listeners')).body, `virtualOutbound::0.0.0.0:${port},[::]:${port}\n`);
    assert.deepEqual(JSON.parse((await httpGet(admin, '/listeners?format=json')).body), {
      listener_statuses: [{
        name: 'virtualOutbound',
        local_address: { socket_address: { address: '0.0.0.0', port_value: port } },
        additional_local_addresses: [{ socket_address: { address: '::', port_value: port } }],
      }],
    });
    const dump = JSON.parse((await httpGet(admin, '/config_dump')).body) as { configs: Record<string, unknown>[] };
    const listener = (dump.configs[2]!['static_listeners'] as { listener: Record<string, unknown> }[])[0]!.listener;
    assert.deepEqual(listener['additional_addresses'], [{ address: { socket_address: { address: '::', port_value: port } } }]);
  });

  test('LDS: an update at the same addresses keeps both sockets and applies to both families; a new additional address is bound', async () => {
    const a = await track(await echoServer('a'));
    const b = await track(await echoServer('b'));
    const port = await unusedPort();
    const other = await unusedPort();
    const p = await track(await proxy({ static_resources: { listeners: [], clusters: [staticCluster('a', [a.port]), staticCluster('b', [b.port])] } }));
    const dyn = (cluster: string, additional: unknown[]) => decodeListener({ name: 'dyn', address: sa('127.0.0.1', port), additional_addresses: additional, filter_chains: [{ filters: [tcpProxyFilter(cluster)] }] });
    await p.listenerManager.addOrUpdate(dyn('a', [{ address: sa('::1', port) }]), 'v1');
    const socket = p.listenerManager.socketOf('dyn');
    assert.equal(await exchange(port, '1', '::1'), 'a:1');
    await p.listenerManager.addOrUpdate(dyn('b', [{ address: sa('::1', port) }]), 'v2');
    assert.equal(p.listenerManager.socketOf('dyn'), socket);
    assert.equal(await exchange(port, '2', '127.0.0.1'), 'b:2');
    assert.equal(await exchange(port, '3', '::1'), 'b:3');
    await p.listenerManager.addOrUpdate(dyn('b', [{ address: sa('::1', port) }, { address: sa('::1', other) }]), 'v3');
    assert.equal(await exchange(other, '4', '::1'), 'b:4');
    assert.equal(await exchange(port, '5', '::1'), 'b:5');
    // Removal closes every address.
    p.listenerManager.remove('dyn');
    await assert.rejects(exchange(other, '6', '::1'), /ECONNREFUSED/);
  });

  test('an address that does not bind leaves nothing bound; a clash through an additional address is refused', async () => {
    const port = await unusedPort();
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen({ host: '::1', port, ipv6Only: true }, r));
    cleanups.push(() => new Promise<void>((r) => blocker.close(() => r())));
    await assert.rejects(proxy({ static_resources: { listeners: [{ name: 'l', address: sa('127.0.0.1', port), additional_addresses: [{ address: sa('::1', port) }], filter_chains: [{ filters: [tcpProxyFilter('BlackHoleCluster')] }] }], clusters: [] } }), /cannot bind \[::1\]:\d+: EADDRINUSE/);
    // The IPv4 socket bound first was released.
    const probe = net.createServer();
    await new Promise<void>((r, j) => { probe.once('error', j); probe.listen({ host: '127.0.0.1', port }, r); });
    await new Promise<void>((r) => probe.close(() => r()));
    await assert.rejects(proxy({
      static_resources: {
        listeners: [
          { name: 'a', address: sa('0.0.0.0', 9080), bind_to_port: false, additional_addresses: [{ address: sa('::', 9080) }], filter_chains: [{ filters: [tcpProxyFilter('BlackHoleCluster')] }] },
          { name: 'b', address: sa('0:0::0', 9080), bind_to_port: false, filter_chains: [{ filters: [tcpProxyFilter('BlackHoleCluster')] }] },
        ],
        clusters: [],
      },
    }), (e: unknown) => e instanceof ConfigError && /listeners "a" and "b" have the same address \[0:0::0\]:9080/.test(e.message));
    await assert.rejects(proxy({ static_resources: { listeners: [{ name: 'l', address: sa('0.0.0.0', 1), additional_addresses: [{ address: sa('localhost', 1) }], filter_chains: [{ filters: [tcpProxyFilter('BlackHoleCluster')] }] }], clusters: [] } }),
      /additional_addresses\[0\]\.address\.socket_address\.address/);
  });
});

describe('use_original_dst with IPv6 original destinations', () => {
  test('Envoy\'s lookup: exact IPv6 address first, then a wildcard of the family: 0.0.0.0 with [::] or [::] alone, never 0.0.0.0 alone', async () => {
    const direct = await track(await echoServer('direct', '::1'));
    const exact = await track(await echoServer('exact'));
    const dual = await track(await echoServer('dual'));
    const v4only = await track(await echoServer('v4only'));
    const v6only = await track(await echoServer('v6only'));
    const port = await unusedPort();
    const service = (name: string, address: string, listenPort: number, extra: Record<string, unknown> = {}) =>
      ({ name, address: sa(address, listenPort), bind_to_port: false, filter_chains: [{ filters: [tcpProxyFilter(name)] }], ...extra });
    const p = await track(await proxy({
      static_resources: {
        listeners: [
          { name: 'virtualOutbound', address: sa('0.0.0.0', port), additional_addresses: ANY6(port), use_original_dst: true, filter_chains: [{ filters: [tcpProxyFilter('PassthroughCluster')] }] },
          service('dual', '0.0.0.0', 9080, { additional_addresses: ANY6(9080) }),
          service('exact', 'fd00:0:0::10', 9080),
          service('v6only', '::', 9081),
          // No "::": IPv6 destinations on this port are not its.
          service('v4only', '0.0.0.0', direct.port),
        ],
        clusters: [passthrough('PassthroughCluster'), staticCluster('dual', [dual.port]), staticCluster('exact', [exact.port]), staticCluster('v6only', [v6only.port]), staticCluster('v4only', [v4only.port])],
      },
    }));
    assert.equal(await connectAs('::1', port, { address: 'fd00::10', port: 9080 }, 'a'), 'exact:a');
    assert.equal(await connectAs('::1', port, { address: 'fd00::11', port: 9080 }, 'b'), 'dual:b');
    assert.equal(await connectAs('127.0.0.1', port, { address: '10.0.0.1', port: 9080 }, 'c'), 'dual:c');
    assert.equal(await connectAs('::1', port, { address: 'fd00::11', port: 9081 }, 'd'), 'v6only:d');
    assert.equal(await connectAs('127.0.0.1', port, { address: '127.0.0.1', port: direct.port }, 'e'), 'v4only:e');
    // An IPv6 destination on the IPv4-only listener's port stays on virtualOutbound: PassthroughCluster.
    assert.equal(await connectAs('::1', port, { address: '::1', port: direct.port }, 'f'), 'direct:f');
    assert.deepEqual(p.clusterManager.get('PassthroughCluster')!.hosts().map((h) => h.key), [`[::1]:${direct.port}`]);
  });
});

describe('virtualInbound per family', () => {
  test('prefix_ranges 0.0.0.0/0 and ::/0 pick InboundPassthroughClusterIpv4 and Ipv6, each with its own source address', async () => {
    const app4 = await track(await echoServer('app4'));
    const app6 = await track(await echoServer('app6', '::1'));
    const port = await unusedPort();
    const p = await track(await proxy({
      static_resources: {
        listeners: [{
          name: 'virtualInbound', address: sa('0.0.0.0', port), additional_addresses: ANY6(port), listener_filters: [ORIGINAL_DST_FILTER],
          filter_chains: [
            { name: 'virtualInbound', filter_chain_match: { prefix_ranges: [{ address_prefix: '0.0.0.0', prefix_len: 0 }] }, filters: [tcpProxyFilter('InboundPassthroughClusterIpv4')] },
            { name: 'virtualInbound', filter_chain_match: { prefix_ranges: [{ address_prefix: '::', prefix_len: 0 }] }, filters: [tcpProxyFilter('InboundPassthroughClusterIpv6')] },
          ],
        }],
        clusters: [
          passthrough('InboundPassthroughClusterIpv4', { upstream_bind_config: { source_address: { address: '127.0.0.6', port_value: 0 } } }),
          // In a pod this is ::6 (capture adds it to lo); on the host's loopback ::1 stands in.
          passthrough('InboundPassthroughClusterIpv6', { upstream_bind_config: { source_address: { address: '::1', port_value: 0 } } }),
        ],
      },
    }));
    assert.equal(await connectAs('127.0.0.1', port, { address: '127.0.0.1', port: app4.port }, 'in4'), 'app4:in4');
    assert.equal(await connectAs('::1', port, { address: '::1', port: app6.port }, 'in6'), 'app6:in6');
    assert.deepEqual(app4.peers, ['127.0.0.6']);
    assert.deepEqual(app6.peers, ['::1']);
    assert.equal(stat(p, 'cluster.InboundPassthroughClusterIpv4.upstream_cx_total'), 1);
    assert.equal(stat(p, 'cluster.InboundPassthroughClusterIpv6.upstream_cx_total'), 1);
  });

  test('upstream_bind_config.extra_source_addresses: the source of the host\'s family (Istio\'s dual-stack inbound|port|| clusters)', async () => {
    const app4 = await track(await echoServer('app4'));
    const app6 = await track(await echoServer('app6', '::1'));
    const port = await unusedPort();
    await track(await proxy({
      static_resources: {
        listeners: [{ name: 'virtualInbound', address: sa('0.0.0.0', port), additional_addresses: ANY6(port), listener_filters: [ORIGINAL_DST_FILTER], filter_chains: [{ filters: [tcpProxyFilter('inbound|9080||')] }] }],
        clusters: [passthrough('inbound|9080||', { upstream_bind_config: { source_address: { address: '127.0.0.6', port_value: 0 }, extra_source_addresses: [{ address: { address: '::1', port_value: 0 } }] } })],
      },
    }));
    assert.equal(await connectAs('::1', port, { address: '::1', port: app6.port }, 'x'), 'app6:x');
    assert.equal(await connectAs('127.0.0.1', port, { address: '127.0.0.1', port: app4.port }, 'y'), 'app4:y');
    assert.deepEqual(app6.peers, ['::1']);
    assert.deepEqual(app4.peers, ['127.0.0.6']);
  });
});
