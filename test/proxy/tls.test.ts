// TLS transport sockets on real sockets with real certificates: termination and
// mTLS downstream, origination with the SPIFFE SAN check upstream, both over
// HTTP/1.1, HTTP/2 and tcp_proxy, a sidecar pair, static SDS, and refusals.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually, exchange, listenerPort, proxy, sa, stat, staticCluster, tcpProxyFilter, closedWithoutData } from './helpers.js';
import { connectionManager, recordingUpstream } from './http-peers.js';
import { certificate, downstreamTls, httpsGet, httpsUpstream, spiffeSan, tlsEchoServer, upstreamTls } from './tls-peers.js';
import { issueLeaf, makeCa } from './tls-certs.js';
import type { CertificateAuthority, Leaf } from './tls-certs.js';
import type { ProxyServer } from '../../src/proxy/index.js';
import { decodeBootstrap } from '../../src/proxy/config/bootstrap.js';

const REVIEWS = 'spiffe://cluster.local/ns/default/sa/bookinfo-reviews';
const PRODUCTPAGE = 'spiffe://cluster.local/ns/default/sa/bookinfo-productpage';
const TLS_INSPECTOR = { name: 'envoy.filters.listener.tls_inspector', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector' } };

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});
function track<T extends { close(): Promise<void> } | ProxyServer>(thing: T): T {
  cleanups.push(() => ('shutdown' in thing ? thing.shutdown() : thing.close()));
  return thing;
}

let ca: CertificateAuthority;
let otherCa: CertificateAuthority;
let reviews: Leaf;
let productpage: Leaf;
let rogue: Leaf;
before(async () => {
  ca = await makeCa();
  otherCa = await makeCa('rogue');
  reviews = await issueLeaf(ca, { uris: [REVIEWS], dns: ['reviews.default.svc.cluster.local'] });
  productpage = await issueLeaf(ca, { uris: [PRODUCTPAGE] });
  rogue = await issueLeaf(otherCa, { uris: [PRODUCTPAGE] });
});

function route(cluster: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'r', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster, ...extra } }] }] };
}

function fileLog(file: string): Record<string, unknown>[] {
  return [{ name: 'envoy.access_loggers.file', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog', path: file, log_format: { text_format_source: { inline_string: '%RESPONSE_CODE% %RESPONSE_FLAGS% %UPSTREAM_CLUSTER%\n' } } } }];
}

describe('downstream TLS termination', () => {
  test('mTLS: a client with a certificate from the trusted CA and the right SAN passes; none, a wrong CA or a wrong SAN are refused', async () => {
    const app = track(await recordingUpstream('app'));
    const mtls = downstreamTls({
      tls_certificates: [certificate(reviews)],
      validation_context: { trusted_ca: { inline_string: ca.cert }, match_typed_subject_alt_names: [spiffeSan(PRODUCTPAGE)] },
      alpn_protocols: ['h2', 'http/1.1'],
    }, { require_client_certificate: true });
    const p = track(await proxy({
      static_resources: {
        listeners: [{ name: 'in', address: sa('127.0.0.1', 0), listener_filters: [TLS_INSPECTOR], filter_chains: [{ filters: [connectionManager('in', route('app'))], transport_socket: mtls }] }],
        clusters: [staticCluster('app', [app.port])],
      },
    }));
    const port = listenerPort(p, 'in');
    const ok = await httpsGet(port, '/hello', { ca: ca.cert, leaf: productpage });
    assert.equal(ok.status, 200);
    assert.equal(ok.body, 'app GET /hello');
    await assert.rejects(httpsGet(port, '/', { ca: ca.cert }));
    await assert.rejects(httpsGet(port, '/', { ca: ca.cert, leaf: rogue }));
    await assert.rejects(httpsGet(port, '/', { ca: ca.cert, leaf: reviews }));
    assert.equal(app.seen.length, 1);
    await eventually(() => stat(p, 'listener.127.0.0.1_0.ssl.fail_verify_san') === 1);
    assert.equal(stat(p, 'listener.127.0.0.1_0.ssl.handshake'), 1);
    assert.equal(stat(p, 'listener.127.0.0.1_0.ssl.fail_verify_no_cert'), 1);
    assert.equal(stat(p, 'listener.127.0.0.1_0.ssl.fail_verify_error'), 1);
  });
});

describe('upstream TLS origination', () => {
  test('the SPIFFE SAN check: the right identity gets 200, a wrong one 503 with UF, ssl.fail_verify_san counted; HTTP/1.1 and HTTP/2', async () => {
    const server = track(await httpsUpstream('reviews', reviews, ca.cert));
    const dir = mkdtempSync(path.join(tmpdir(), 'outrigger-tls-'));
    const log = path.join(dir, 'access.log');
    const client = (san: string, extra: Record<string, unknown> = {}) => upstreamTls({
      tls_certificates: [certificate(productpage)],
      validation_context: { trusted_ca: { inline_string: ca.cert }, match_typed_subject_alt_names: [spiffeSan(san)] },
    }, { sni: 'outbound_.9080_._.reviews.default.svc.cluster.local', ...extra });
    const h2 = { typed_extension_protocol_options: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', explicit_http_config: { http2_protocol_options: {} } } } };
    const routes = {
      name: 'r',
      virtual_hosts: [{
        name: 'all', domains: ['*'], routes: [
          { match: { prefix: '/right' }, route: { cluster: 'right' } },
          { match: { prefix: '/h2' }, route: { cluster: 'right-h2' } },
          { match: { prefix: '/wrong-h2' }, route: { cluster: 'wrong-h2' } },
          { match: { prefix: '/wrong' }, route: { cluster: 'wrong' } },
        ],
      }],
    };
    const p = track(await proxy({
      static_resources: {
        listeners: [{ name: 'out', address: sa('127.0.0.1', 0), filter_chains: [{ filters: [connectionManager('out', routes, { access_log: fileLog(log) })] }] }],
        clusters: [
          staticCluster('right', [server.port], { transport_socket: client(REVIEWS) }),
          staticCluster('right-h2', [server.port], { transport_socket: client(REVIEWS), ...h2 }),
          staticCluster('wrong', [server.port], { transport_socket: client('spiffe://cluster.local/ns/default/sa/ratings') }),
          staticCluster('wrong-h2', [server.port], { transport_socket: client('spiffe://cluster.local/ns/default/sa/ratings'), ...h2 }),
        ],
      },
    }));
    const port = listenerPort(p, 'out');
    const { send } = await import('./http-peers.js');
    const right = await send(port, '/right');
    assert.equal(right.status, 200);
    assert.equal(right.body, 'reviews /right 1.1');
    const overH2 = await send(port, '/h2');
    assert.equal(overH2.status, 200);
    assert.equal(overH2.body, 'reviews /h2 2.0');
    assert.equal(server.clientSans[0], `URI:${PRODUCTPAGE}`);
    const wrong = await send(port, '/wrong');
    assert.equal(wrong.status, 503);
    const wrongH2 = await send(port, '/wrong-h2');
    assert.equal(wrongH2.status, 503);
    assert.equal(stat(p, 'cluster.wrong.ssl.fail_verify_san'), 1);
    assert.equal(stat(p, 'cluster.wrong-h2.ssl.fail_verify_san'), 1);
    assert.equal(stat(p, 'cluster.wrong.ssl.handshake'), 0);
    assert.equal(stat(p, 'cluster.right.ssl.handshake'), 1);
    assert.equal(stat(p, 'cluster.right-h2.ssl.handshake'), 1);
    assert.equal(stat(p, 'cluster.wrong.upstream_cx_connect_fail'), 1);
    await eventually(() => readFileSync(log, 'utf8').split('\n').length >= 5);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    assert.ok(lines.includes('503 UF wrong'), lines.join('\n'));
    assert.ok(lines.includes('503 UF wrong-h2'), lines.join('\n'));
    assert.ok(lines.includes('200 - right'), lines.join('\n'));
  });

  test('tcp_proxy over TLS: bytes pass with the right SAN; a wrong SAN closes the connection', async () => {
    const echo = track(await tlsEchoServer('e', reviews, ca.cert));
    const client = (san: string) => upstreamTls({ tls_certificates: [certificate(productpage)], validation_context: { trusted_ca: { inline_string: ca.cert }, match_typed_subject_alt_names: [spiffeSan(san)] }, alpn_protocols: ['istio-peer-exchange', 'istio'] });
    const p = track(await proxy({
      static_resources: {
        listeners: [
          { name: 'good', address: sa('127.0.0.1', 0), filter_chains: [{ filters: [tcpProxyFilter('good')] }] },
          { name: 'bad', address: sa('127.0.0.1', 0), filter_chains: [{ filters: [tcpProxyFilter('bad')] }] },
        ],
        clusters: [staticCluster('good', [echo.port], { transport_socket: client(REVIEWS) }), staticCluster('bad', [echo.port], { transport_socket: client(PRODUCTPAGE) })],
      },
    }));
    assert.equal(await exchange(listenerPort(p, 'good'), 'hello'), 'e:hello');
    assert.equal(await exchange(listenerPort(p, 'good'), Buffer.alloc(1 << 20, 'x')), `e:${'x'.repeat(1 << 20)}`);
    assert.equal((await closedWithoutData(listenerPort(p, 'bad'))).data, '');
    assert.equal(stat(p, 'cluster.good.ssl.handshake'), 2);
    assert.equal(stat(p, 'cluster.bad.ssl.fail_verify_san'), 1);
  });
});
