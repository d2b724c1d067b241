// xDS-facing pieces: decoding single resources from JSON and from protobuf
// bytes, and updating listeners and clusters in a running proxy.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCluster, decodeListener, decodeResourceBytes, decodeResourceJson, envoyRoot, typeUrls, ConfigError } from '../../src/proxy/index.js';
import type { ProxyServer } from '../../src/proxy/index.js';
import { echoServer, exchange, listenerPort, proxy, sa, staticCluster, tcpProxyFilter } from './helpers.js';
import type { TestServer } from './helpers.js';

describe('resource decoding', () => {
  test('protobuf bytes with an Any typed_config, Durations and enums decode to the same form as JSON', () => {
    const root = envoyRoot();
    const TcpProxy = root.lookupType('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy');
    const Listener = root.lookupType('envoy.config.listener.v3.Listener');
    const tcp = TcpProxy.encode(TcpProxy.fromObject({ stat_prefix: 'outbound|9080||ratings', cluster: 'outbound|9080||ratings', idle_timeout: { seconds: 3600 } })).finish();
    const bytes = Listener.encode(Listener.fromObject({
      name: '0.0.0.0_9080',
      address: { socket_address: { address: '0.0.0.0', port_value: 9080 } },
      bind_to_port: { value: false },
      traffic_direction: 2,
      filter_chains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { type_url: typeUrls.tcpProxy, value: tcp } }] }],
    })).finish();
    const fromBytes = decodeResourceBytes(typeUrls.listener, bytes);
    const json = {
      name: '0.0.0.0_9080',
      address: { socket_address: { address: '0.0.0.0', port_value: 9080 } },
      bind_to_port: false,
      traffic_direction: 'OUTBOUND',
      filter_chains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': typeUrls.tcpProxy, stat_prefix: 'outbound|9080||ratings', cluster: 'outbound|9080||ratings', idle_timeout: '3600s' } }] }],
    };
    assert.deepEqual(fromBytes, json);
    assert.deepEqual(decodeResourceJson(typeUrls.listener, { '@type': typeUrls.listener, ...json }), json);
  });

  test('the proxy policy applies to xDS resources too, naming the resource', () => {
    assert.throws(() => decodeCluster({ name: 'outbound|9080||ratings', type: 'EDS', per_connection_buffer_limit_bytes: 32768 }), (e: unknown) =>
      e instanceof ConfigError && e.message === 'Cluster("outbound|9080||ratings"): field "per_connection_buffer_limit_bytes" of envoy.config.cluster.v3.Cluster is not supported by the outrigger proxy');
    assert.throws(() => decodeCluster({ name: 'c', health_checks: [{ timeout: '1s', interval: '1s' }] }), (e: unknown) =>
      e instanceof ConfigError && e.message === 'Cluster("c"): field "health_checks" of envoy.config.cluster.v3.Cluster is not supported by the outrigger proxy');
    assert.throws(() => decodeResourceJson(typeUrls.cluster, { '@type': typeUrls.listener, name: 'x' }), { message: `resource "@type" ${typeUrls.listener} is not ${typeUrls.cluster}` });
    assert.throws(() => decodeResourceBytes(typeUrls.cluster, Uint8Array.from([0xff, 0xff, 0xff])), (e: unknown) => e instanceof ConfigError && e.message.startsWith('malformed envoy.config.cluster.v3.Cluster'));
  });
});

describe('updates to a running proxy', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  const track = <T extends TestServer | ProxyServer>(x: T): T => {
    cleanups.push(() => ('shutdown' in x ? x.shutdown() : x.close()));
    return x;
  };

  test('LDS: a listener updated at the same address keeps its socket and uses the new chains; removal stops accepting', async () => {
    const a = track(await echoServer('a'));
    const b = track(await echoServer('b'));
    const p = track(await proxy({ static_resources: { clusters: [staticCluster('a', [a.port]), staticCluster('b', [b.port])] } }));
    const first = await p.listenerManager.addOrUpdate(decodeListener({ name: 'dyn', address: sa('127.0.0.1', 0), filter_chains: [{ filters: [tcpProxyFilter('a')] }] }), 'v1');
    const port = first.boundPort;
    assert.equal(await exchange(port, '1'), 'a:1');
    // Same address (now the bound port), new chain: in place.
    const second = await p.listenerManager.addOrUpdate(decodeListener({ name: 'dyn', address: sa('127.0.0.1', port), filter_chains: [{ filters: [tcpProxyFilter('b')] }] }), 'v2');
    assert.equal(second.boundPort, port);
    assert.equal(await exchange(port, '2'), 'b:2');
    const dump = p.configDump() as { configs: { dynamic_listeners?: { name: string; active_state: { version_info: string } }[] }[] };
    assert.deepEqual(dump.configs[2]!.dynamic_listeners!.map((l) => [l.name, l.active_state.version_info]), [['dyn', 'v2']]);
    // A bad update changes nothing.
    await assert.rejects(p.listenerManager.addOrUpdate(decodeListener({ name: 'dyn', address: sa('127.0.0.1', port), filter_chains: [] })), ConfigError);
    assert.equal(await exchange(port, '3'), 'b:3');
    assert.equal(p.listenerManager.remove('dyn'), true);
    await assert.rejects(exchange(port, '4'), { code: 'ECONNREFUSED' });
  });

  test('CDS and EDS: a cluster added later receives endpoints and is used by the next connection', async () => {
    const a = track(await echoServer('a'));
    const p = track(await proxy({ static_resources: { listeners: [{ name: 'l', address: sa('127.0.0.1', 0), filter_chains: [{ filters: [tcpProxyFilter('outbound|9080||reviews')] }] }] } }));
    const port = listenerPort(p, 'l');
    assert.equal(await exchange(port, 'x'), '');
    await p.clusterManager.addOrUpdate(decodeCluster({ name: 'outbound|9080||reviews', type: 'EDS', connect_timeout: '1s', eds_cluster_config: { eds_config: { ads: {} } } }), '1');
    assert.equal(await exchange(port, 'x'), '');
    p.clusterManager.updateLoadAssignment({ cluster_name: 'outbound|9080||reviews', endpoints: [{ lb_endpoints: [{ endpoint: { address: sa('127.0.0.1', a.port) } }] }] });
    assert.equal(await exchange(port, 'y'), 'a:y');
    assert.throws(() => p.clusterManager.updateLoadAssignment({ cluster_name: 'nope' }), { message: 'no cluster "nope" for the ClusterLoadAssignment' });
  });
});
