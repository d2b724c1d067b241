// An Istio-shaped virtualInbound on loopback: original_dst, tls_inspector and
// http_inspector with a short sniffing timeout; per-port filter chains for 9080
// (plaintext HTTP → http_connection_manager → inbound|9080|| ORIGINAL_DST from
// 127.0.0.6; other TCP → tcp_proxy) and a passthrough chain for any other port.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { setOriginalDstLookup } from '../../src/proxy/index.js';
import type { ProxyServer } from '../../src/proxy/index.js';
import { listenerPort, proxy, sa, stat, unusedPort } from './helpers.js';

const typed = (type: string, body: Record<string, unknown> = {}) => ({ '@type': `type.googleapis.com/${type}`, ...body });
const tcp = (cluster: string) => ({ name: 'envoy.filters.network.tcp_proxy', typed_config: typed('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', { stat_prefix: cluster, cluster }) });

describe('Istio-shaped virtualInbound', () => {
  let app: http.Server;
  let appPort: number;
  const appPeers: string[] = [];
  let raw: net.Server;
  let rawPort: number;
  let p: ProxyServer;
  let port: number;
  const destinations = new Map<number, { address: string; port: number }>();
  let restore: ReturnType<typeof setOriginalDstLookup>;

  before(async () => {
    app = http.createServer((req, res) => {
      appPeers.push(req.socket.remoteAddress ?? '');
      res.end(`app saw ${req.method} ${req.url} from ${req.socket.remoteAddress} id=${req.headers['x-request-id'] ? 'yes' : 'no'}`);
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', () => r()));
    appPort = (app.address() as net.AddressInfo).port;
    // A server-first protocol on another port (like MySQL): it greets before the client speaks.
    raw = net.createServer((s) => {
      s.on('error', () => undefined);
      s.end(`greeting from ${s.remoteAddress}`);
    });
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', () => r()));
    rawPort = (raw.address() as net.AddressInfo).port;
    restore = setOriginalDstLookup((c) => destinations.get(c.remoteAddress.port));
    const inboundCluster = (name: string) => ({
      name, type: 'ORIGINAL_DST', connect_timeout: '1s', lb_policy: 'CLUSTER_PROVIDED',
      upstream_bind_config: { source_address: { address: '127.0.0.6', port_value: 0 } },
    });
    p = await proxy({
      static_resources: {
        listeners: [{
          name: 'virtualInbound',
          address: sa('127.0.0.1', 0),
          traffic_direction: 'INBOUND',
          listener_filters: [
            { name: 'envoy.filters.listener.original_dst', typed_config: typed('envoy.extensions.filters.listener.original_dst.v3.OriginalDst') },
            { name: 'envoy.filters.listener.tls_inspector', typed_config: typed('envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector') },
            { name: 'envoy.filters.listener.http_inspector', typed_config: typed('envoy.extensions.filters.listener.http_inspector.v3.HttpInspector') },
          ],
          listener_filters_timeout: '0.1s',
          continue_on_listener_filters_timeout: true,
          filter_chains: [
            {
              name: `0.0.0.0_${appPort}`,
              filter_chain_match: { destination_port: appPort, transport_protocol: 'raw_buffer', application_protocols: ['http/1.0', 'http/1.1', 'h2c'] },
              filters: [{
                name: 'envoy.filters.network.http_connection_manager',
                typed_config: typed('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', {
                  stat_prefix: `inbound_0.0.0.0_${appPort}`,
                  route_config: { name: `inbound|${appPort}||`, validate_clusters: false, virtual_hosts: [{ name: `inbound|http|${appPort}`, domains: ['*'], routes: [{ name: 'default', match: { prefix: '/' }, route: { cluster: `inbound|${appPort}||`, timeout: '0s' }, decorator: { operation: 'app:9080/*' } }] }] },
                  http_filters: [{ name: 'envoy.filters.http.router', typed_config: typed('envoy.extensions.filters.http.router.v3.Router') }],
                  use_remote_address: false,
                }),
              }],
            },
            { name: `0.0.0.0_${appPort}_tcp`, filter_chain_match: { destination_port: appPort, transport_protocol: 'raw_buffer' }, filters: [tcp(`inbound|${appPort}||`)] },
            { name: 'virtualInbound', filter_chain_match: { prefix_ranges: [{ address_prefix: '0.0.0.0', prefix_len: 0 }] }, filters: [tcp('InboundPassthroughClusterIpv4')] },
          ],
        }],
        clusters: [inboundCluster(`inbound|${appPort}||`), inboundCluster('InboundPassthroughClusterIpv4')],
      },
    });
    port = listenerPort(p, 'virtualInbound');
  });
  after(async () => {
    await p.shutdown();
    setOriginalDstLookup(restore);
    app.close();
    raw.close();
  });

  async function from(target: number): Promise<number> {
    const local = await unusedPort();
    destinations.set(local, { address: '127.0.0.1', port: target });
    return local;
  }

  test('HTTP to the app port is sniffed, routed by the inbound HCM and reaches the app from 127.0.0.6', async () => {
    const localPort = await from(appPort);
    const body = await new Promise<string>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/reviews/1', localPort, agent: false }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d));
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    assert.equal(body, 'app saw GET /reviews/1 from 127.0.0.6 id=yes');
    assert.equal(stat(p, `http.inbound_0.0.0.0_${appPort}.downstream_rq_2xx`), 1);
  });

  test('a server-first protocol on another port waits out the sniffing timeout and passes through', async () => {
    const localPort = await from(rawPort);
    const started = Date.now();
    const greeting = await new Promise<string>((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port, localPort });
      let text = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => (text += d));
      s.on('end', () => resolve(text));
      s.on('error', reject);
    });
    assert.equal(greeting, 'greeting from 127.0.0.6');
    assert.ok(Date.now() - started >= 90);
    assert.equal(stat(p, 'cluster.InboundPassthroughClusterIpv4.upstream_cx_total'), 1);
  });
});
