// `outrigger pc` against a running outrigger proxy's admin API (not a recording).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProxy } from '../../src/proxy/index.js';
import type { ProxyServer } from '../../src/proxy/index.js';
import { setSink } from '../../src/log/index.js';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'outrigger');
const pc = (args: string[]) =>
  new Promise<{ code: number; stdout: string }>((resolve) => {
    execFile(process.execPath, [bin, 'pc', ...args], (error, stdout) => resolve({ code: (error as { code?: number } | null)?.code ?? 0, stdout }));
  });
const squash = (text: string) => text.trimEnd().split('\n').map((l) => l.replace(/ +/g, ' '));

// Istio-named resources, as discovery would send them, given statically.
const bootstrap = {
  admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
  static_resources: {
    listeners: [
      {
        name: 'virtualInbound',
        address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
        traffic_direction: 'INBOUND',
        filter_chains: [
          { filter_chain_match: { destination_port: 9080, transport_protocol: 'raw_buffer' }, filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 'inbound|9080||', cluster: 'inbound|9080||' } }] },
          { filter_chain_match: { prefix_ranges: [{ address_prefix: '0.0.0.0', prefix_len: 0 }] }, filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 'InboundPassthroughClusterIpv4', cluster: 'InboundPassthroughClusterIpv4' } }] },
        ],
      },
    ],
    clusters: [
      { name: 'inbound|9080||', type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED', connect_timeout: '10s', upstream_bind_config: { source_address: { address: '127.0.0.6', port_value: 0 } } },
      { name: 'InboundPassthroughClusterIpv4', type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED', connect_timeout: '10s', upstream_bind_config: { source_address: { address: '127.0.0.6', port_value: 0 } } },
      { name: 'outbound|9080||ratings.default.svc.cluster.local', type: 'STATIC', connect_timeout: '1s', load_assignment: { cluster_name: 'outbound|9080||ratings.default.svc.cluster.local', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 9080 } } } }] }] } },
    ],
  },
};

describe('outrigger proxy-config against a live proxy', () => {
  let proxy: ProxyServer;
  let restore: (line: string) => void;
  let target = '';
  before(async () => {
    restore = setSink(() => {});
    proxy = await startProxy({ bootstrap, logLevel: 'off' });
    target = `127.0.0.1:${proxy.adminAddress!.port}`;
  });
  after(async () => {
    await proxy.shutdown();
    setSink(restore);
  });

  test('listener: the inbound chains in istioctl\'s words', async () => {
    const out = await pc(['listener', target]);
    assert.equal(out.code, 0);
    const rows = squash(out.stdout);
    assert.equal(rows[0], 'ADDRESS PORT MATCH DESTINATION');
    assert.ok(rows.some((r) => r.endsWith('Trans: raw_buffer; Addr: *:9080 Cluster: inbound|9080||')), out.stdout);
    assert.ok(rows.some((r) => r.endsWith('Addr: 0.0.0.0/0 InboundPassthroughClusterIpv4')), out.stdout);
  });

  test('cluster and endpoint views', async () => {
    const clusters = squash((await pc(['cluster', target])).stdout);
    assert.ok(clusters.includes(' 9080 - inbound ORIGINAL_DST'), clusters.join('\n'));
    assert.ok(clusters.includes('ratings.default.svc.cluster.local 9080 - outbound STATIC'), clusters.join('\n'));
    const endpoints = squash((await pc(['endpoint', target, '--cluster', 'outbound|9080||ratings.default.svc.cluster.local'])).stdout);
    assert.deepEqual(endpoints, ['ENDPOINT STATUS OUTLIER CHECK CLUSTER', '127.0.0.1:9080 HEALTHY OK outbound|9080||ratings.default.svc.cluster.local']);
  });

  test('-o json prints camelCase resources', async () => {
    const json = JSON.parse((await pc(['cluster', target, '-o', 'json'])).stdout) as Record<string, any>[];
    const inbound = json.find((c) => c['name'] === 'inbound|9080||')!;
    assert.deepEqual(inbound['upstreamBindConfig'], { sourceAddress: { address: '127.0.0.6', portValue: 0 } });
  });
});
