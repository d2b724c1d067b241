// Local replies to gRPC requests: a real gRPC client (@grpc/grpc-js over h2c) must see a gRPC
// status and message, as it does behind Envoy, never an HTTP error it cannot read. Other
// clients (HTTP/1.1, grpc-web) keep the HTTP reply.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import type { ProxyServer } from '../../src/proxy/index.js';
import { encodeGrpcMessage, httpToGrpcStatus, isGrpcContentType } from '../../src/proxy/http/grpc.js';
import { listenerPort, proxy, sa, staticCluster, unusedPort } from './helpers.js';

const ROUTER = { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } };
const FAULT_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';
const H2_UPSTREAM = {
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
    '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
    explicit_http_config: { http2_protocol_options: {} },
  },
};
const abortWith = (abort: Record<string, unknown>) => ({ 'envoy.filters.http.fault': { '@type': FAULT_TYPE, abort: { ...abort, percentage: { numerator: 100 } } } });

describe('gRPC helpers', () => {
  test("Envoy's HTTP → gRPC status mapping", () => {
    const cases: [number, number][] = [[400, 13], [401, 16], [403, 7], [404, 12], [429, 14], [502, 14], [503, 14], [504, 14], [500, 2], [418, 2], [200, 2]];
    for (const [httpStatus, grpcStatus] of cases) assert.equal(httpToGrpcStatus(httpStatus), grpcStatus, String(httpStatus));
  });

  test('gRPC content types: application/grpc and application/grpc+codec, not grpc-web', () => {
    assert.ok(isGrpcContentType('application/grpc'));
    assert.ok(isGrpcContentType('application/grpc+proto'));
    assert.ok(!isGrpcContentType('application/grpc-web'));
    assert.ok(!isGrpcContentType('application/grpc-web+proto'));
    assert.ok(!isGrpcContentType('application/json'));
    assert.ok(!isGrpcContentType(undefined));
  });

  test('grpc-message percent-encodes what is not printable ASCII, and "%"', () => {
    assert.equal(encodeGrpcMessage('no healthy upstream'), 'no healthy upstream');
    assert.equal(encodeGrpcMessage('100% ünï\n'), '100%25 %C3%BCn%C3%AF%0A');
  });
});

describe('local replies to a gRPC client', () => {
  let p: ProxyServer;
  let port: number;
  let upstream: http2.Http2Server;
  let client: grpc.Client;

  before(async () => {
    // An HTTP/2 upstream that never answers: the route's timeout fires.
    upstream = http2.createServer();
    upstream.on('stream', (stream) => stream.resume());
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    const refused = await unusedPort();
    const route = (prefix: string, action: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ match: { prefix }, ...action, ...extra });
    p = await proxy({
      static_resources: {
        listeners: [{
          name: 'l', address: sa('127.0.0.1', 0),
          filter_chains: [{ filters: [{
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              stat_prefix: 'g', codec_type: 'AUTO',
              route_config: { virtual_hosts: [{ name: 'all', domains: ['*'], routes: [
                route('/empty.', { route: { cluster: 'empty' } }),
                route('/refused.', { route: { cluster: 'refused' } }),
                route('/slow.', { route: { cluster: 'slow', timeout: '0.2s' } }),
                route('/denied.', { direct_response: { status: 403, body: { inline_string: 'denied: 100% ünïcode' } } }),
                route('/fault-http.', { route: { cluster: 'empty' } }, { typed_per_filter_config: abortWith({ http_status: 503 }) }),
                route('/fault-grpc.', { route: { cluster: 'empty' } }, { typed_per_filter_config: abortWith({ grpc_status: 7 }) }),
              ] }] },
              http_filters: [{ name: 'envoy.filters.http.fault', typed_config: { '@type': FAULT_TYPE } }, ROUTER],
            },
          }] }],
        }],
        clusters: [
          { name: 'empty', type: 'STATIC', connect_timeout: '1s', load_assignment: { cluster_name: 'empty', endpoints: [] } },
          staticCluster('refused', [refused], { typed_extension_protocol_options: H2_UPSTREAM }),
          staticCluster('slow', [(upstream.address() as net.AddressInfo).port], { typed_extension_protocol_options: H2_UPSTREAM }),
        ],
      },
    });
    port = listenerPort(p, 'l');
    client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(async () => {
    client?.close();
    await p?.shutdown();
    upstream?.close();
  });

  /** A unary call with raw bytes for messages; resolves with the error it fails with. */
  const failingCall = (method: string) => new Promise<grpc.ServiceError>((resolve, reject) => {
    client.makeUnaryRequest(method, (b: Buffer) => b, (b: Buffer) => b, Buffer.from('hi'), (err, value) => (err ? resolve(err) : reject(new Error(`call succeeded: ${String(value)}`))));
  });

  test('a cluster with no endpoints: UNAVAILABLE, "no healthy upstream"', async () => {
    const error = await failingCall('/empty.Svc/Get');
    assert.equal(error.code, grpc.status.UNAVAILABLE);
    assert.equal(error.details, 'no healthy upstream');
  });

  test('no route: UNIMPLEMENTED (from 404)', async () => {
    const error = await failingCall('/nothing.Svc/Get');
    assert.equal(error.code, grpc.status.UNIMPLEMENTED);
  });

  test('an upstream that refuses connections: UNAVAILABLE with the reset reason', async () => {
    const error = await failingCall('/refused.Svc/Get');
    assert.equal(error.code, grpc.status.UNAVAILABLE);
    assert.equal(error.details, 'upstream connect error or disconnect/reset before headers. reset reason: connection failure');
  });

  test("the route's timeout: UNAVAILABLE, \"upstream request timeout\"", async () => {
    const error = await failingCall('/slow.Svc/Get');
    assert.equal(error.code, grpc.status.UNAVAILABLE);
    assert.equal(error.details, 'upstream request timeout');
  });

  test('a direct_response 403: PERMISSION_DENIED, its body as the message (percent-encoded on the wire)', async () => {
    const error = await failingCall('/denied.Svc/Get');
    assert.equal(error.code, grpc.status.PERMISSION_DENIED);
    assert.equal(error.details, 'denied: 100% ünïcode');
  });

  test("a fault's http_status reaches the gRPC client mapped; its grpc_status as it is", async () => {
    const mapped = await failingCall('/fault-http.Svc/Get');
    assert.equal(mapped.code, grpc.status.UNAVAILABLE);
    assert.equal(mapped.details, 'fault filter abort');
    const direct = await failingCall('/fault-grpc.Svc/Get');
    assert.equal(direct.code, grpc.status.PERMISSION_DENIED);
    assert.equal(direct.details, 'fault filter abort');
  });

  test('the trailers-only response on the wire: 200, application/grpc, grpc-status and grpc-message in one HEADERS frame', async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const { headers, ended } = await new Promise<{ headers: http2.IncomingHttpHeaders; ended: boolean }>((resolve, reject) => {
        const stream = session.request({ ':method': 'POST', ':path': '/empty.Svc/Get', 'content-type': 'application/grpc+proto', te: 'trailers' });
        stream.on('response', (h, flags) => resolve({ headers: h, ended: (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0 }));
        stream.on('error', reject);
        stream.end();
      });
      assert.equal(headers[':status'], 200);
      assert.equal(headers['content-type'], 'application/grpc');
      assert.equal(headers['grpc-status'], '14');
      assert.equal(headers['grpc-message'], 'no healthy upstream');
      assert.ok(ended, 'the HEADERS frame ends the stream');
    } finally {
      session.close();
    }
  });

  test('clients that are not gRPC keep the HTTP reply: HTTP/1.1, and grpc-web', async () => {
    const get = (headers: Record<string, string>) => new Promise<{ status: number; body: string; grpcStatus: unknown }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/empty.Svc/Get', method: 'POST', headers, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, grpcStatus: res.headers['grpc-status'] }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.deepEqual(await get({}), { status: 503, body: 'no healthy upstream', grpcStatus: undefined });
    assert.deepEqual(await get({ 'content-type': 'application/grpc-web+proto' }), { status: 503, body: 'no healthy upstream', grpcStatus: undefined });
    // As in Envoy, a grpc_status abort answers a request that is not gRPC with a plain 200.
    const fault = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/fault-grpc.Svc/Get', agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      }).on('error', reject);
    });
    assert.deepEqual(fault, { status: 200, body: 'fault filter abort' });
  });
});
