// Listener behaviour on loopback: use_original_dst hand-off, ORIGINAL_DST
// clusters bound to 127.0.0.6, and sniffing with a timeout for server-first protocols.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { setOriginalDstLookup } from '../../src/proxy/index.js';
import type { ProxyServer } from '../../src/proxy/index.js';
import { echoServer, exchange, listenerPort, proxy, sa, stat, staticCluster, tcpProxyFilter, unusedPort } from './helpers.js';
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

/** Connects from a known local port so the stub can answer for it; resolves with all bytes received. */
async function connectAs(port: number, original: { address: string; port: number }, payload: string, waitForGreeting = false): Promise<string> {
  const localPort = await unusedPort();
  originalDestinations.set(localPort, original);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.1', localPort, allowHalfOpen: true });
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      data += d;
      if (waitForGreeting && !socket.writableEnded) socket.end(payload);
    });
    socket.on('error', reject);
    socket.on('end', () => socket.end());
    socket.on('close', () => resolve(data));
    socket.on('connect', () => {
      if (!waitForGreeting) socket.end(payload);
    });
  });
}

const ORIGINAL_DST_FILTER = { name: 'envoy.filters.listener.original_dst', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst' } };

describe('use_original_dst and ORIGINAL_DST', () => {
  for (const [shape, listenerFilters] of [['with original_dst named', [ORIGINAL_DST_FILTER]], ["as Istio writes it, with use_original_dst alone (the filter is implied)", []]] as const) test(`virtualOutbound hands a connection to the listener of its original destination, else uses its own chain (PassthroughCluster), ${shape}`, async () => {
    const service = await track(await echoServer('service'));
    const direct = await track(await echoServer('direct'));
    const p = await track(await proxy({
      static_resources: {
        listeners: [
          {
            name: 'virtualOutbound', address: sa('127.0.0.1', 0), use_original_dst: true, listener_filters: [...listenerFilters],
            filter_chains: [{ filters: [tcpProxyFilter('PassthroughCluster')] }],
          },
          // Istio's per-service outbound listener: not bound, reached only by hand-off.
          { name: '0.0.0.0_9080', address: sa('0.0.0.0', 9080), bind_to_port: false, filter_chains: [{ filters: [tcpProxyFilter('outbound|9080||reviews')] }] },
        ],
        clusters: [
          { name: 'PassthroughCluster', type: 'ORIGINAL_DST', connect_timeout: '1s', lb_policy: 'CLUSTER_PROVIDED' },
          staticCluster('outbound|9080||reviews', [service.port]),
        ],
      },
    }));
    const port = listenerPort(p, 'virtualOutbound');
    assert.equal(await connectAs(port, { address: '10.9.9.9', port: 9080 }, 'to-reviews'), 'service:to-reviews');
    assert.equal(await connectAs(port, { address: '127.0.0.1', port: direct.port }, 'passthrough'), 'direct:passthrough');
    assert.equal(stat(p, 'listener.0.0.0.0_9080.downstream_cx_total'), 1);
    assert.equal(stat(p, 'cluster.PassthroughCluster.upstream_cx_total'), 1);
    assert.deepEqual(p.clusterManager.get('PassthroughCluster')!.hosts().map((h) => h.key), [`127.0.0.1:${direct.port}`]);
  });

  test('an ORIGINAL_DST cluster with upstream_bind_config reaches the app from 127.0.0.6 (InboundPassthroughClusterIpv4)', async () => {
    const app = await track(await echoServer('app'));
    const p = await track(await proxy({
      static_resources: {
        listeners: [{
          name: 'virtualInbound', address: sa('127.0.0.1', 0), use_original_dst: true, listener_filters: [ORIGINAL_DST_FILTER],
          filter_chains: [{ filters: [tcpProxyFilter('InboundPassthroughClusterIpv4')] }],
        }],
        clusters: [{
          name: 'InboundPassthroughClusterIpv4', type: 'ORIGINAL_DST', connect_timeout: '1s', lb_policy: 'CLUSTER_PROVIDED',
          upstream_bind_config: { source_address: { address: '127.0.0.6', port_value: 0 } },
        }],
      },
    }));
    assert.equal(await connectAs(listenerPort(p, 'virtualInbound'), { address: '127.0.0.1', port: app.port }, 'in'), 'app:in');
    assert.deepEqual(app.peers, ['127.0.0.6']);
  });
});

describe('protocol sniffing', () => {
  const TLS = { name: 'envoy.filters.listener.tls_inspector', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector' } };
  const HTTP = { name: 'envoy.filters.listener.http_inspector', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.http_inspector.v3.HttpInspector' } };

  async function sniffingProxy(extra: Record<string, unknown>) {
    const http = await track(await echoServer('http'));
    const tcp = await track(await echoServer('tcp'));
    const p = await track(await proxy({
      static_resources: {
        listeners: [{
          name: 'virtualInbound', address: sa('127.0.0.1', 0), listener_filters: [TLS, HTTP], ...extra,
          filter_chains: [
            { name: 'http', filter_chain_match: { transport_protocol: 'raw_buffer', application_protocols: ['http/1.0', 'http/1.1', 'h2c'] }, filters: [tcpProxyFilter('http')] },
            { name: 'tcp', filter_chain_match: { transport_protocol: 'raw_buffer' }, filters: [tcpProxyFilter('tcp')] },
          ],
        }],
        clusters: [staticCluster('http', [http.port]), staticCluster('tcp', [tcp.port])],
      },
    }));
    return listenerPort(p, 'virtualInbound');
  }

  test('HTTP/1.1 and h2c go to the HTTP chain with the sniffed bytes intact; other bytes to the TCP chain', async () => {
    const port = await sniffingProxy({ listener_filters_timeout: '1s', continue_on_listener_filters_timeout: true });
    assert.equal(await exchange(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n'), 'http:GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal(await exchange(port, 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), 'http:PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    assert.equal(await exchange(port, 'SSH-2.0-OpenSSH\r\n'), 'tcp:SSH-2.0-OpenSSH\r\n');
    // A client that sends a partial line and half-closes still gets through.
    assert.equal(await exchange(port, 'GET /par'), 'tcp:GET /par');
  });

  test('a server-first protocol is not stalled: after listener_filters_timeout it falls through to TCP', async () => {
    const port = await sniffingProxy({ listener_filters_timeout: '0.15s', continue_on_listener_filters_timeout: true });
    const started = Date.now();
    // Like a MySQL client: wait for the server's greeting, then answer.
    const reply = await connectAs(port, { address: '127.0.0.1', port: 1 }, 'login', true);
    assert.equal(reply, 'tcp:login');
    assert.ok(Date.now() - started >= 100);
  });

  test('without continue_on_listener_filters_timeout the connection is closed at the timeout', async () => {
    const port = await sniffingProxy({ listener_filters_timeout: '0.1s' });
    const reply = await connectAs(port, { address: '127.0.0.1', port: 1 }, 'x', true);
    assert.equal(reply, '');
  });
});
