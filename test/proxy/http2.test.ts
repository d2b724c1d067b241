// HTTP/2 (h2c prior knowledge) downstream and upstream: a gRPC-shaped call
// with te: trailers keeps its grpc-status trailer end to end; HTTP/1.1 clients
// share the same AUTO listener.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { httpGet, listenerPort, proxy, sa, stat, staticCluster } from './helpers.js';
import type { ProxyServer } from '../../src/proxy/index.js';

const ROUTER = { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } };
const H2_UPSTREAM = {
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
    '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
    explicit_http_config: { http2_protocol_options: {} },
  },
};

interface Call {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
  trailers: http2.IncomingHttpHeaders | undefined;
}

function h2call(port: number, path: string, body: Buffer, headers: Record<string, string> = {}): Promise<Call> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const req = session.request({ ':method': 'POST', ':path': path, ':authority': 'grpc.local', 'content-type': 'application/grpc', te: 'trailers', ...headers });
    const chunks: Buffer[] = [];
    let head: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders | undefined;
    req.on('response', (h) => (head = h));
    req.on('trailers', (t) => (trailers = t));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      session.close();
      resolve({ status: Number(head[':status']), headers: head, body: Buffer.concat(chunks), trailers });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('HTTP/2', () => {
  let upstream: http2.Http2Server;
  let upstreamPort: number;
  const seen: http2.IncomingHttpHeaders[] = [];
  let p: ProxyServer;
  let port: number;
  before(async () => {
    // A gRPC-like server: echoes the message, answers with grpc-status in trailers.
    upstream = http2.createServer();
    upstream.on('stream', (stream, headers) => {
      seen.push(headers);
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'ok' }));
        stream.end(Buffer.concat([Buffer.from('echo:'), ...chunks]));
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    upstreamPort = (upstream.address() as net.AddressInfo).port;
    p = await proxy({
      static_resources: {
        listeners: [{
          name: 'grpc', address: sa('127.0.0.1', 0),
          filter_chains: [{ filters: [{
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              stat_prefix: 'grpc', codec_type: 'AUTO', http_filters: [ROUTER],
              route_config: { virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'grpc-backend' } }] }] },
            },
          }] }],
        }],
        clusters: [staticCluster('grpc-backend', [upstreamPort], { typed_extension_protocol_options: H2_UPSTREAM })],
      },
    });
    port = listenerPort(p, 'grpc');
  });
  after(async () => {
    await p.shutdown();
    upstream.close();
  });

  test('a gRPC-shaped call keeps its body, headers and grpc-status trailer through the proxy', async () => {
    const call = await h2call(port, '/helloworld.Greeter/SayHello', Buffer.from([0, 0, 0, 0, 3, 1, 2, 3]));
    assert.equal(call.status, 200);
    assert.equal(call.headers['content-type'], 'application/grpc');
    assert.deepEqual([...call.body], [...Buffer.from('echo:'), 0, 0, 0, 0, 3, 1, 2, 3]);
    assert.equal(call.trailers?.['grpc-status'], '0');
    assert.equal(call.trailers?.['grpc-message'], 'ok');
    const upstreamSaw = seen.at(-1)!;
    assert.equal(upstreamSaw[':path'], '/helloworld.Greeter/SayHello');
    assert.equal(upstreamSaw[':authority'], 'grpc.local');
    assert.equal(upstreamSaw['te'], 'trailers');
    assert.match(String(upstreamSaw['x-request-id']), /^[0-9a-f-]{36}$/);
    assert.equal(stat(p, 'http.grpc.downstream_rq_http2_total'), 1);
  });

  test('many concurrent streams share one upstream HTTP/2 connection', async () => {
    const before = stat(p, 'cluster.grpc-backend.upstream_cx_total')!;
    const calls = await Promise.all(Array.from({ length: 20 }, (_, i) => h2call(port, `/svc/M${i}`, Buffer.from(String(i)))));
    assert.deepEqual(calls.map((c) => c.body.toString()), Array.from({ length: 20 }, (_, i) => `echo:${i}`));
    assert.equal(stat(p, 'cluster.grpc-backend.upstream_cx_total'), before);
  });

  test('an HTTP/1.1 client on the same AUTO listener reaches the HTTP/2 upstream', async () => {
    const reply = await httpGet(port, '/plain');
    assert.equal(reply.status, 200);
    assert.equal(reply.body, 'echo:');
    assert.equal(stat(p, 'http.grpc.downstream_rq_http1_total'), 1);
  });

  test('an HTTP/2 upstream that refuses connections gives 503', async () => {
    const dead = await new Promise<number>((resolve) => {
      const s = net.createServer();
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    await p.clusterManager.addOrUpdate({ name: 'grpc-backend', type: 'STATIC', connect_timeout: '1s', typed_extension_protocol_options: H2_UPSTREAM as never, load_assignment: { cluster_name: 'grpc-backend', endpoints: [{ lb_endpoints: [{ endpoint: { address: sa('127.0.0.1', dead) } }] }] } });
    // Not a gRPC request, so the local reply stays an HTTP 503 (grpc-local-reply.test.ts has the gRPC form).
    const call = await h2call(port, '/x', Buffer.alloc(0), { 'content-type': 'application/octet-stream' });
    assert.equal(call.status, 503);
    assert.equal(call.body.toString(), 'upstream connect error or disconnect/reset before headers. reset reason: connection failure');
  });
});

describe('gRPC retries and deadlines', () => {
  test('retry_on unavailable retries a trailers-only grpc-status 14; grpc-timeout bounds the call', async () => {
    let calls = 0;
    const upstream = http2.createServer();
    upstream.on('stream', (stream, headers) => {
      calls++;
      stream.resume();
      if (headers[':path'] === '/slow') {
        setTimeout(() => {
          if (!stream.destroyed) stream.respond({ ':status': 200, 'grpc-status': '0' }, { endStream: true });
        }, 1000);
        return;
      }
      // First call: UNAVAILABLE as a trailers-only response; then success.
      if (calls === 1) stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '14' }, { endStream: true });
      else stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '0' }, { endStream: true });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    const p = await proxy({
      static_resources: {
        listeners: [{
          name: 'grpc', address: sa('127.0.0.1', 0),
          filter_chains: [{ filters: [{
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              stat_prefix: 'g', codec_type: 'HTTP2', http_filters: [ROUTER],
              route_config: { virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: {
                cluster: 'g', timeout: '0s',
                retry_policy: { retry_on: 'unavailable', num_retries: 2, retry_host_predicate: [{ name: 'envoy.retry_host_predicates.previous_hosts' }] },
                max_stream_duration: { max_stream_duration: '0s', grpc_timeout_header_max: '0s' },
              } }] }] },
            },
          }] }],
        }],
        clusters: [staticCluster('g', [(upstream.address() as net.AddressInfo).port], { typed_extension_protocol_options: H2_UPSTREAM })],
      },
    });
    try {
      const port = listenerPort(p, 'grpc');
      const ok = await h2call(port, '/svc/M', Buffer.alloc(0));
      assert.equal(ok.headers['grpc-status'], '0');
      assert.equal(calls, 2);
      assert.equal(stat(p, 'cluster.g.upstream_rq_retry'), 1);
      const started = Date.now();
      const late = await h2call(port, '/slow', Buffer.alloc(0), { 'grpc-timeout': '150m' });
      // The 504 reaches the gRPC client as a trailers-only UNAVAILABLE.
      assert.equal(late.status, 200);
      assert.equal(late.headers['grpc-status'], '14');
      assert.equal(late.headers['grpc-message'], 'upstream request timeout');
      assert.ok(Date.now() - started < 900, `took ${Date.now() - started} ms`);
    } finally {
      await p.shutdown();
      upstream.close();
    }
  });
});
