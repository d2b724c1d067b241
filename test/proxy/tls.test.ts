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
const REVIEWS_SNI = 'outbound_.9080_._.reviews.default.svc.cluster.local';
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
    assert.equal(stat(p, 'listener.127.0.0.1_0.ssl.no_certificate'), 0);
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

describe('a sidecar pair with mTLS between the proxies', () => {
  test('HTTP/1.1, HTTP/2 (ALPN h2) and raw TCP cross; the client side takes its certificate and root CA from static SDS secrets', async () => {
    const app = track(await recordingUpstream('app'));
    const { echoServer } = await import('./helpers.js');
    const echo = track(await echoServer('e'));
    // The server side (the reviews pod's inbound): TLS required, the client must be productpage.
    const inboundTls = downstreamTls({
      tls_certificates: [certificate(reviews)],
      validation_context: { trusted_ca: { inline_string: ca.cert }, match_typed_subject_alt_names: [spiffeSan(PRODUCTPAGE)] },
      alpn_protocols: ['h2', 'http/1.1'],
    }, { require_client_certificate: true });
    const server = track(await proxy({
      static_resources: {
        listeners: [
          { name: 'inbound-http', address: sa('127.0.0.1', 0), listener_filters: [TLS_INSPECTOR], filter_chains: [{ filter_chain_match: { server_names: [REVIEWS_SNI], transport_protocol: 'tls' }, filters: [connectionManager('inbound', route('app'))], transport_socket: inboundTls }] },
          { name: 'inbound-tcp', address: sa('127.0.0.1', 0), listener_filters: [TLS_INSPECTOR], filter_chains: [{ filter_chain_match: { server_names: [REVIEWS_SNI], transport_protocol: 'tls' }, filters: [tcpProxyFilter('echo')], transport_socket: inboundTls }] },
        ],
        clusters: [staticCluster('app', [app.port]), staticCluster('echo', [echo.port])],
      },
    }));
    // The client side (productpage's outbound), Istio's shape: certificate by SDS, SANs inline, root CA by SDS.
    const sds = (alpn: string[]) => upstreamTls({
      tls_certificate_sds_secret_configs: [{ name: 'default' }],
      combined_validation_context: { default_validation_context: { match_subject_alt_names: [{ exact: REVIEWS }] }, validation_context_sds_secret_config: { name: 'ROOTCA' } },
      alpn_protocols: alpn,
    }, { sni: REVIEWS_SNI });
    const h2 = { typed_extension_protocol_options: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', explicit_http_config: { http2_protocol_options: {} } } } };
    const routes = {
      name: 'r',
      virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/h2' }, route: { cluster: 'reviews-h2' } }, { match: { prefix: '/' }, route: { cluster: 'reviews' } }] }],
    };
    const client = track(await proxy({
      static_resources: {
        secrets: [
          { name: 'default', tls_certificate: certificate(productpage) },
          { name: 'ROOTCA', validation_context: { trusted_ca: { inline_string: ca.cert } } },
        ],
        listeners: [
          { name: 'out-http', address: sa('127.0.0.1', 0), filter_chains: [{ filters: [connectionManager('outbound', routes)] }] },
          { name: 'out-tcp', address: sa('127.0.0.1', 0), filter_chains: [{ filters: [tcpProxyFilter('reviews-tcp')] }] },
        ],
        clusters: [
          staticCluster('reviews', [listenerPort(server, 'inbound-http')], { transport_socket: sds([]) }),
          staticCluster('reviews-h2', [listenerPort(server, 'inbound-http')], { transport_socket: sds([]), ...h2 }),
          staticCluster('reviews-tcp', [listenerPort(server, 'inbound-tcp')], { transport_socket: sds(['istio-peer-exchange', 'istio']) }),
        ],
      },
    }));
    const { send } = await import('./http-peers.js');
    const h1 = await send(listenerPort(client, 'out-http'), '/one');
    assert.equal(h1.status, 200);
    assert.equal(h1.body, 'app GET /one');
    const overH2 = await send(listenerPort(client, 'out-http'), '/h2/two');
    assert.equal(overH2.status, 200);
    assert.equal(overH2.body, 'app GET /h2/two');
    assert.equal(stat(server, 'http.inbound.downstream_rq_http2_total'), 1);
    assert.equal(stat(server, 'http.inbound.downstream_rq_http1_total'), 1);
    // No ALPN in common (istio vs h2/http1.1): the handshake goes on without one, as in Envoy.
    assert.equal(await exchange(listenerPort(client, 'out-tcp'), 'ping'), 'e:ping');
    await eventually(() => stat(server, 'listener.127.0.0.1_0.ssl.handshake') === 3);
    assert.equal(stat(client, 'cluster.reviews.ssl.handshake'), 1);
    assert.equal(stat(client, 'cluster.reviews-tcp.ssl.handshake'), 1);
    // The config dump shows the transport sockets and the static secrets, private keys redacted.
    const dump = JSON.stringify(client.configDump());
    assert.ok(dump.includes('"tls_certificate_sds_secret_configs":[{"name":"default"}]'));
    assert.ok(dump.includes('SecretsConfigDump'));
    assert.ok(dump.includes('"private_key":{"inline_string":"[redacted]"}'));
    assert.ok(!dump.includes('PRIVATE KEY'));
  });
});

describe('filter chain selection with termination', () => {
  test('SNI picks the chain (and its certificate) before TLS is terminated; HTTP/2 by ALPN from a client', async () => {
    const a = await issueLeaf(ca, { dns: ['a.example'] });
    const b = await issueLeaf(ca, { dns: ['b.example'] });
    const direct = (body: string) => ({ name: 'r', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: body } } }] }] });
    const p = track(await proxy({
      static_resources: {
        listeners: [{
          name: 'sni', address: sa('127.0.0.1', 0), listener_filters: [TLS_INSPECTOR],
          filter_chains: [
            { filter_chain_match: { server_names: ['a.example'] }, filters: [connectionManager('a', direct('A'))], transport_socket: downstreamTls({ tls_certificates: [certificate(a)], alpn_protocols: ['h2', 'http/1.1'] }) },
            { filter_chain_match: { server_names: ['b.example'] }, filters: [connectionManager('b', direct('B'))], transport_socket: downstreamTls({ tls_certificates: [certificate(b)] }) },
          ],
        }],
      },
    }));
    const port = listenerPort(p, 'sni');
    const tls = await import('node:tls');
    const presented = (servername: string) => new Promise<string>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, servername, ca: ca.cert }, () => {
        resolve(s.getPeerCertificate().subjectaltname ?? '');
        s.destroy();
      });
      s.on('error', reject);
    });
    assert.equal(await presented('a.example'), 'DNS:a.example');
    assert.equal(await presented('b.example'), 'DNS:b.example');
    assert.equal((await httpsGet(port, '/', { ca: ca.cert, servername: 'b.example' })).body, 'B');
    // Clients without a certificate on a chain that asks for none (the first two may close before the proxy finishes).
    assert.ok((stat(p, 'listener.127.0.0.1_0.ssl.no_certificate') ?? 0) >= 1);
    const http2 = await import('node:http2');
    const h2Get = async (servername: string) => {
      const session = http2.connect(`https://${servername}:${port}`, { createConnection: () => tls.connect({ host: '127.0.0.1', port, servername, ca: ca.cert, ALPNProtocols: ['h2'] }) });
      session.on('error', () => undefined);
      try {
        return await new Promise<string>((resolve, reject) => {
          const req = session.request({ ':path': '/' });
          let data = '';
          req.setEncoding('utf8');
          req.on('data', (d: string) => (data += d));
          req.on('end', () => resolve(data));
          req.on('error', reject);
        });
      } finally {
        session.close();
      }
    };
    // a.example negotiates h2 by ALPN; b.example names no ALPN, so the connection manager finds HTTP/2 by its preface.
    assert.equal(await h2Get('a.example'), 'A');
    assert.equal(stat(p, 'http.a.downstream_rq_http2_total'), 1);
    assert.equal(await h2Get('b.example'), 'B');
    assert.equal(stat(p, 'http.b.downstream_rq_http2_total'), 1);
  });
});

describe('TLS configuration the proxy refuses', () => {
  const tlsCluster = (socket: Record<string, unknown>) => ({ static_resources: { clusters: [staticCluster('c', [1], { transport_socket: socket })] } });
  const chain = (socket: Record<string, unknown>) => ({ static_resources: { listeners: [{ name: 'l', address: sa('127.0.0.1', 0), filter_chains: [{ filters: [tcpProxyFilter('c')], transport_socket: socket }] }], clusters: [staticCluster('c', [1])] } });

  test('unsupported fields are named by the decoder', () => {
    assert.throws(() => decodeBootstrap(chain(downstreamTls({}, { ocsp_staple_policy: 'STRICT_STAPLING' }))), /field "ocsp_staple_policy" of envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext is not supported by the outrigger proxy/);
    assert.throws(() => decodeBootstrap(tlsCluster(upstreamTls({ tls_certificate_provider_instance: { instance_name: 'x' } }))), /field "tls_certificate_provider_instance" of envoy.extensions.transport_sockets.tls.v3.CommonTlsContext is not supported/);
    assert.throws(() => decodeBootstrap(tlsCluster(upstreamTls({}, { allow_renegotiation: true }))), /field "allow_renegotiation" of envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext is not supported/);
    assert.throws(() => decodeBootstrap(tlsCluster(upstreamTls({ validation_context: { crl: { inline_string: 'x' } } }))), /field "crl" of envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext is not supported/);
  });

  test('dynamic SDS, missing secrets, SAN matchers without a trusted CA and other transport sockets are refused by name', async () => {
    await assert.rejects(proxy(tlsCluster(upstreamTls({ tls_certificate_sds_secret_configs: [{ name: 'default', sds_config: { ads: {} } }] }))),
      /clusters\[0\]\("c"\)\.transport_socket\.typed_config\.common_tls_context\.tls_certificate_sds_secret_configs\[0\]\.sds_config: sds_config \(dynamic SDS\) is not supported by the outrigger proxy/);
    await assert.rejects(proxy(tlsCluster(upstreamTls({ validation_context_sds_secret_config: { name: 'ROOTCA' } }))), /no static secret named "ROOTCA" in static_resources.secrets/);
    await assert.rejects(proxy(tlsCluster(upstreamTls({ validation_context: { match_typed_subject_alt_names: [spiffeSan(REVIEWS)] } }))), /SAN matchers need a trusted_ca/);
    await assert.rejects(proxy(tlsCluster({ name: 'envoy.transport_sockets.starttls' })), /transport socket "envoy.transport_sockets.starttls" is not supported by the outrigger proxy/);
    await assert.rejects(proxy(chain(downstreamTls({}))), /filter_chains\[0\]\.transport_socket\.typed_config\.common_tls_context: a DownstreamTlsContext needs a certificate/);
    await assert.rejects(proxy(chain(upstreamTls({}))), /typed_config must be envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext here/);
    await assert.rejects(proxy(tlsCluster(upstreamTls({ tls_params: { cipher_suites: ['[ECDHE-ECDSA-AES128-GCM-SHA256|ECDHE-ECDSA-CHACHA20-POLY1305]'] } }))), /equal-preference cipher groups/);
    await assert.rejects(proxy({ static_resources: { secrets: [{ name: 'a' }, { name: 'a' }] } }), /duplicate secret name "a"/);
  });
});

describe('transport_socket_matches', () => {
  test("Istio's tlsMode: an endpoint labelled {tlsMode: istio} gets mTLS, the others plaintext; HTTP and tcp_proxy alike", async () => {
    const secure = track(await httpsUpstream('secure', reviews, ca.cert));
    const plain = track(await recordingUpstream('plain'));
    const secureEcho = track(await tlsEchoServer('s', reviews, ca.cert));
    const { echoServer } = await import('./helpers.js');
    const plainEcho = track(await echoServer('p'));
    const matches = [
      { name: 'tlsMode-istio', match: { tlsMode: 'istio' }, transport_socket: upstreamTls({ tls_certificates: [certificate(productpage)], validation_context: { trusted_ca: { inline_string: ca.cert }, match_typed_subject_alt_names: [spiffeSan(REVIEWS)] } }) },
      { name: 'tlsMode-disabled', match: {}, transport_socket: { name: 'envoy.transport_sockets.raw_buffer' } },
    ];
    const cluster = (name: string, tlsPort: number, plainPort: number) => ({
      name, type: 'STATIC', connect_timeout: '1s', transport_socket_matches: matches,
      load_assignment: {
        cluster_name: name,
        endpoints: [{ lb_endpoints: [
          { endpoint: { address: sa('127.0.0.1', tlsPort) }, metadata: { filter_metadata: { 'envoy.transport_socket_match': { tlsMode: 'istio' } } } },
          { endpoint: { address: sa('127.0.0.1', plainPort) } },
        ] }],
      },
    });
    const p = track(await proxy({
      static_resources: {
        listeners: [
          { name: 'http', address: sa('127.0.0.1', 0), filter_chains: [{ filters: [connectionManager('m', route('mixed'))] }] },
          { name: 'tcp', address: sa('127.0.0.1', 0), filter_chains: [{ filters: [tcpProxyFilter('mixed-tcp')] }] },
        ],
        clusters: [cluster('mixed', secure.port, plain.port), cluster('mixed-tcp', secureEcho.port, plainEcho.port)],
      },
    }));
    const { send } = await import('./http-peers.js');
    const bodies = [];
    for (let i = 0; i < 4; i++) bodies.push((await send(listenerPort(p, 'http'), '/x')).body);
    assert.deepEqual(bodies.sort(), ['plain GET /x', 'plain GET /x', 'secure /x 1.1', 'secure /x 1.1']);
    const echoes = [];
    for (let i = 0; i < 2; i++) echoes.push(await exchange(listenerPort(p, 'tcp'), 'hi'));
    assert.deepEqual(echoes.sort(), ['p:hi', 's:hi']);
    assert.equal(stat(p, 'cluster.mixed.ssl.handshake'), 1);
    assert.equal(stat(p, 'cluster.mixed-tcp.ssl.handshake'), 1);
  });
});

describe('static secrets reach workers', () => {
  test('a new worker is given the secrets before the clusters and listeners that name them', async () => {
    const { DataPlane } = await import('../../src/proxy/workers/data-plane.js');
    const { applyConfigUpdate } = await import('../../src/proxy/workers/config-update.js');
    const p = track(await proxy({
      static_resources: {
        secrets: [{ name: 'default', tls_certificate: certificate(reviews) }, { name: 'ROOTCA', validation_context: { trusted_ca: { inline_string: ca.cert } } }],
        listeners: [{ name: 'in', address: sa('127.0.0.1', 0), filter_chains: [{ filters: [tcpProxyFilter('c')], transport_socket: downstreamTls({ tls_certificate_sds_secret_configs: [{ name: 'default' }], validation_context_sds_secret_config: { name: 'ROOTCA' } }, { require_client_certificate: true }) }] }],
        clusters: [staticCluster('c', [1], { transport_socket: upstreamTls({ tls_certificate_sds_secret_configs: [{ name: 'default' }] }) })],
      },
    }));
    const updates = (p as unknown as { currentConfig(): { update: { kind: string } }[] }).currentConfig();
    assert.equal(updates[0]!.update.kind, 'secrets');
    const worker = new DataPlane();
    // Listeners are only built here (not bound): what matters is that nothing is refused.
    for (const { update } of updates.filter((u) => u.update.kind !== 'listener')) await applyConfigUpdate(worker, update as Parameters<typeof applyConfigUpdate>[1]);
    assert.ok(worker.clusterManager.get('c')?.tls);
    worker.close();
  });
});

describe('certificate sources and TLS parameters', () => {
  test('filename and inline_bytes data sources; tls_params versions decide whether a handshake can succeed', async () => {
    const { writeFileSync } = await import('node:fs');
    const dir = mkdtempSync(path.join(tmpdir(), 'outrigger-tls-files-'));
    writeFileSync(path.join(dir, 'cert.pem'), productpage.cert);
    writeFileSync(path.join(dir, 'key.pem'), productpage.key);
    const only13 = track(await tlsEchoServer('t', reviews, ca.cert, { minVersion: 'TLSv1.3' }));
    const context = (params: Record<string, unknown>) => upstreamTls({
      tls_certificates: [{ certificate_chain: { filename: path.join(dir, 'cert.pem') }, private_key: { filename: path.join(dir, 'key.pem') } }],
      validation_context: { trusted_ca: { inline_bytes: Buffer.from(ca.cert).toString('base64') }, match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { suffix: '.svc.cluster.local' } }] },
      tls_params: params,
    });
    const p = track(await proxy({
      static_resources: {
        listeners: [
          { name: 'tls13', address: sa('127.0.0.1', 0), filter_chains: [{ filters: [tcpProxyFilter('tls13')] }] },
          { name: 'tls12', address: sa('127.0.0.1', 0), filter_chains: [{ filters: [tcpProxyFilter('tls12')] }] },
        ],
        clusters: [
          staticCluster('tls13', [only13.port], { transport_socket: context({ tls_maximum_protocol_version: 'TLSv1_3' }) }),
          // Envoy's client default is TLS 1.2 at most; said explicitly here.
          staticCluster('tls12', [only13.port], { transport_socket: context({ tls_minimum_protocol_version: 'TLSv1_2', tls_maximum_protocol_version: 'TLSv1_2', cipher_suites: ['ECDHE-ECDSA-AES128-GCM-SHA256'] }) }),
        ],
      },
    }));
    assert.equal(await exchange(listenerPort(p, 'tls13'), 'hi'), 't:hi');
    assert.equal(only13.clientSans[0], `URI:${PRODUCTPAGE}`);
    assert.equal((await closedWithoutData(listenerPort(p, 'tls12'))).data, '');
    assert.equal(stat(p, 'cluster.tls12.ssl.connection_error'), 1);
    assert.equal(stat(p, 'cluster.tls12.upstream_cx_connect_fail'), 1);
  });
});

describe('TLS over xDS', () => {
  test('a CDS Cluster in protobuf bytes with an UpstreamTlsContext decodes to the JSON form (inline bytes as base64)', async () => {
    const { decodeResourceBytes, envoyRoot, typeUrls } = await import('../../src/proxy/index.js');
    const root = envoyRoot();
    const Context = root.lookupType('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext');
    const Cluster = root.lookupType('envoy.config.cluster.v3.Cluster');
    const context = Context.encode(Context.fromObject({
      sni: REVIEWS_SNI,
      common_tls_context: {
        tls_certificate_sds_secret_configs: [{ name: 'default' }],
        validation_context: { trusted_ca: { inline_bytes: Buffer.from('CA') }, match_typed_subject_alt_names: [{ san_type: 3, matcher: { exact: REVIEWS } }] },
        alpn_protocols: ['istio-peer-exchange', 'istio'],
      },
    })).finish();
    const bytes = Cluster.encode(Cluster.fromObject({ name: 'outbound|9080||reviews', type: 3, transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: { type_url: typeUrls.upstreamTlsContext, value: context } } })).finish();
    assert.deepEqual(decodeResourceBytes(typeUrls.cluster, bytes)['transport_socket'], {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': typeUrls.upstreamTlsContext,
        sni: REVIEWS_SNI,
        common_tls_context: {
          tls_certificate_sds_secret_configs: [{ name: 'default' }],
          validation_context: { trusted_ca: { inline_bytes: Buffer.from('CA').toString('base64') }, match_typed_subject_alt_names: [{ san_type: 'URI', matcher: { exact: REVIEWS } }] },
          alpn_protocols: ['istio-peer-exchange', 'istio'],
        },
      },
    });
  });
});
