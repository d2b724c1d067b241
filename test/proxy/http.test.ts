// http_connection_manager + router over HTTP/1.1 with real sockets.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { listenerPort, proxy, sa, stat, staticCluster, unusedPort } from './helpers.js';
import type { ProxyServer } from '../../src/proxy/index.js';

interface Upstream {
  port: number;
  seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}

/** An HTTP server that answers with its name and records what it received. */
function upstream(name: string, behave: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => boolean = () => false): Promise<Upstream> {
  const seen: Upstream['seen'] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (behave(req, res, body)) return;
      res.setHeader('server', 'upstream-server');
      res.end(`${name} ${req.method} ${req.url} ${body}`);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: (server.address() as net.AddressInfo).port,
    seen,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  })));
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(port: number, path: string, options: { method?: string; headers?: Record<string, string>; body?: string; agent?: http.Agent } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: options.agent ?? false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Raw bytes in, raw bytes out (for malformed requests). */
function raw(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(bytes));
    let data = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (data += d));
    s.on('error', () => resolve(data));
    s.on('close', () => resolve(data));
  });
}

const ROUTER = { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } };

function hcm(routeConfig: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
      stat_prefix: 'inbound_0.0.0.0_9080',
      route_config: routeConfig,
      http_filters: [ROUTER],
      ...extra,
    },
  };
}

describe('HTTP/1.1 through http_connection_manager and the router', () => {
  let a: Upstream;
  let b: Upstream;
  let flaky: Upstream;
  let slow: Upstream;
  let p: ProxyServer;
  let port: number;
  let dead: number;
  let flakyCalls = 0;
  before(async () => {
    a = await upstream('a');
    b = await upstream('b');
    // Fails every other request with 503.
    flaky = await upstream('flaky', (_req, res) => {
      flakyCalls++;
      if (flakyCalls % 2 === 1) {
        res.statusCode = 503;
        res.end('busy');
        return true;
      }
      return false;
    });
    slow = await upstream('slow', (_req, res) => {
      setTimeout(() => res.end('late'), 1000);
      return true;
    });
    dead = await unusedPort();
    const routeConfig = {
      name: '9080',
      virtual_hosts: [
        {
          name: 'reviews.default.svc.cluster.local:9080',
          domains: ['reviews.default.svc.cluster.local', 'reviews', 'reviews:9080'],
          include_request_attempt_count: true,
          routes: [
            { name: 'v2-for-jason', match: { prefix: '/', headers: [{ name: 'end-user', exact_match: 'jason' }] }, route: { cluster: 'b' } },
            { match: { prefix: '/rewrite/' }, route: { cluster: 'a', prefix_rewrite: '/v1/', host_rewrite_literal: 'rewritten.local' } },
            { match: { path: '/direct' }, direct_response: { status: 200, body: { inline_string: 'hello from the proxy' } } },
            { match: { prefix: '/old' }, redirect: { path_redirect: '/new', response_code: 'FOUND' } },
            { match: { prefix: '/dead' }, route: { cluster: 'dead', retry_policy: { retry_on: 'connect-failure', num_retries: 1 } } },
            { match: { prefix: '/flaky' }, route: { cluster: 'flaky', retry_policy: { retry_on: '5xx', num_retries: 2 } } },
            { match: { prefix: '/slow' }, route: { cluster: 'slow', timeout: '0.2s' } },
            { match: { prefix: '/missing-cluster' }, route: { cluster: 'nope' } },
            { match: { prefix: '/' }, route: { cluster: 'a' }, response_headers_to_add: [{ header: { key: 'x-route', value: 'default' } }] },
          ],
        },
        { name: 'ratings', domains: ['ratings:9080'], routes: [{ match: { prefix: '/' }, route: { cluster: 'b' } }] },
      ],
    };
    p = await proxy({
      static_resources: {
        listeners: [{ name: '0.0.0.0_9080', address: sa('127.0.0.1', 0), filter_chains: [{ filters: [hcm(routeConfig, { always_set_request_id_in_response: true })] }] }],
        clusters: [staticCluster('a', [a.port]), staticCluster('b', [b.port]), staticCluster('dead', [dead]), staticCluster('flaky', [flaky.port]), staticCluster('slow', [slow.port])],
      },
    });
    port = listenerPort(p, '0.0.0.0_9080');
  });
  after(async () => {
    await p.shutdown();
    for (const u of [a, b, flaky, slow]) await u.close();
  });

  test('a request is routed by host and prefix, with Envoy\'s headers both ways', async () => {
    const reply = await request(port, '/productpage?x=1', { headers: { host: 'reviews:9080' } });
    assert.equal(reply.status, 200);
    assert.equal(reply.body, 'a GET /productpage?x=1 ');
    assert.equal(reply.headers['server'], 'envoy');
    assert.equal(reply.headers['x-route'], 'default');
    assert.match(String(reply.headers['x-envoy-upstream-service-time']), /^\d+$/);
    const seen = a.seen.at(-1)!;
    assert.equal(seen.headers['host'], 'reviews:9080');
    assert.match(String(seen.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    assert.equal(reply.headers['x-request-id'], seen.headers['x-request-id']);
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.equal(seen.headers['x-envoy-attempt-count'], '1');
    assert.equal(seen.headers['x-envoy-expected-rq-timeout-ms'], '15000');
  });

  test('an incoming x-request-id is kept (sidecar, use_remote_address false)', async () => {
    await request(port, '/', { headers: { host: 'reviews', 'x-request-id': 'abc-123' } });
    assert.equal(a.seen.at(-1)!.headers['x-request-id'], 'abc-123');
  });

  test('header match sends jason to b; another virtual host by domain; unknown host gets 404', async () => {
    assert.match((await request(port, '/', { headers: { host: 'reviews', 'end-user': 'jason' } })).body, /^b /);
    assert.match((await request(port, '/', { headers: { host: 'ratings:9080' } })).body, /^b /);
    const none = await request(port, '/', { headers: { host: 'unknown' } });
    assert.equal(none.status, 404);
    assert.equal(stat(p, 'http.inbound_0.0.0.0_9080.no_route'), 1);
  });

  test('prefix_rewrite and host_rewrite_literal', async () => {
    await request(port, '/rewrite/item?q=1', { headers: { host: 'reviews' } });
    const seen = a.seen.at(-1)!;
    assert.equal(seen.url, '/v1/item?q=1');
    assert.equal(seen.headers['host'], 'rewritten.local');
  });

  test('direct_response and redirect', async () => {
    assert.deepEqual(await request(port, '/direct', { headers: { host: 'reviews' } }).then((r) => [r.status, r.body]), [200, 'hello from the proxy']);
    const redirect = await request(port, '/old/page?x=1', { headers: { host: 'reviews:9080' } });
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers['location'], 'http://reviews:9080/new?x=1');
  });

  test('a refused upstream gives 503 with Envoy\'s body, after the retry', async () => {
    const reply = await request(port, '/dead', { headers: { host: 'reviews' } });
    assert.equal(reply.status, 503);
    assert.equal(reply.body, 'upstream connect error or disconnect/reset before headers. reset reason: connection failure');
    assert.equal(stat(p, 'cluster.dead.upstream_cx_connect_fail'), 2);
    assert.equal(stat(p, 'cluster.dead.upstream_rq_retry'), 1);
  });

  test('retry_on 5xx retries a 503 and the upstream sees the attempt count', async () => {
    const reply = await request(port, '/flaky', { headers: { host: 'reviews' } });
    assert.equal(reply.status, 200);
    assert.equal(reply.body, 'flaky GET /flaky ');
    assert.deepEqual(flaky.seen.slice(-2).map((s) => s.headers['x-envoy-attempt-count']), ['1', '2']);
    assert.equal(stat(p, 'cluster.flaky.upstream_rq_retry'), 1);
    assert.equal(stat(p, 'cluster.flaky.upstream_rq_5xx'), 1);
    assert.equal(stat(p, 'cluster.flaky.upstream_rq_2xx'), 1);
  });

  test('the route timeout gives 504', async () => {
    const started = Date.now();
    const reply = await request(port, '/slow', { headers: { host: 'reviews' } });
    assert.equal(reply.status, 504);
    assert.equal(reply.body, 'upstream request timeout');
    assert.ok(Date.now() - started < 900);
    assert.equal(stat(p, 'cluster.slow.upstream_rq_timeout'), 1);
  });

  test('a route to a missing cluster gives 503', async () => {
    assert.equal((await request(port, '/missing-cluster', { headers: { host: 'reviews' } })).status, 503);
  });

  test('POST bodies pass through; keep-alive reuses the downstream connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await request(port, '/post', { method: 'POST', headers: { host: 'reviews' }, body: 'x'.repeat(100_000), agent });
      assert.equal(first.body, `a POST /post ${'x'.repeat(100_000)}`);
      const before = stat(p, 'http.inbound_0.0.0.0_9080.downstream_cx_total')!;
      await request(port, '/again', { headers: { host: 'reviews' }, agent });
      assert.equal(stat(p, 'http.inbound_0.0.0.0_9080.downstream_cx_total'), before);
    } finally {
      agent.destroy();
    }
  });

  test('malformed input: garbage, request smuggling, 1 MB of headers — 400/431, and the proxy keeps serving', async () => {
    assert.match(await raw(port, 'this is not http\r\n\r\n'), /^HTTP\/1\.1 400 Bad Request/);
    const smuggle = 'POST / HTTP/1.1\r\nHost: reviews\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: reviews\r\n\r\n';
    assert.match(await raw(port, smuggle), /^HTTP\/1\.1 400 Bad Request/);
    assert.ok(!a.seen.some((s) => s.url === '/admin'));
    const huge = `GET / HTTP/1.1\r\nHost: reviews\r\nX-Big: ${'a'.repeat(1 << 20)}\r\n\r\n`;
    assert.match(await raw(port, huge), /^HTTP\/1\.1 431 Request Header Fields Too Large/);
    assert.equal((await request(port, '/', { headers: { host: 'reviews' } })).status, 200);
    assert.ok(stat(p, 'http.inbound_0.0.0.0_9080.downstream_cx_protocol_error')! >= 3);
  });

  test('stats count requests by class', async () => {
    assert.ok(stat(p, 'http.inbound_0.0.0.0_9080.downstream_rq_2xx')! >= 5);
    assert.ok(stat(p, 'http.inbound_0.0.0.0_9080.downstream_rq_5xx')! >= 2);
    assert.equal(stat(p, 'http.inbound_0.0.0.0_9080.downstream_rq_active'), 0);
  });
});

describe('sniffed HTTP reaches the connection manager intact', () => {
  test('http_inspector, then HCM: bytes read while sniffing are replayed, also when the client half-closed', async () => {
    const a = await upstream('a');
    const p = await proxy({
      static_resources: {
        listeners: [{
          name: 'sniff', address: sa('127.0.0.1', 0), listener_filters_timeout: '1s', continue_on_listener_filters_timeout: true,
          listener_filters: [{ name: 'envoy.filters.listener.http_inspector', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.http_inspector.v3.HttpInspector' } }],
          filter_chains: [{ filter_chain_match: { application_protocols: ['http/1.1'] }, filters: [hcm({ virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'a' } }] }] })] }],
        }],
        clusters: [staticCluster('a', [a.port])],
      },
    });
    try {
      const port = listenerPort(p, 'sniff');
      assert.equal((await request(port, '/sniffed', { headers: { host: 'x' } })).body, 'a GET /sniffed ');
      const halfClosed = await new Promise<string>((resolve) => {
        const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => s.end('GET /half HTTP/1.1\r\nHost: x\r\n\r\n'));
        let data = '';
        s.setEncoding('utf8');
        s.on('data', (d: string) => (data += d));
        s.on('end', () => s.end());
        s.on('close', () => resolve(data));
      });
      assert.match(halfClosed, /^HTTP\/1\.1 200 OK/);
      assert.match(halfClosed, /a GET \/half $/);
    } finally {
      await p.shutdown();
      await a.close();
    }
  });
});

describe('slow clients', () => {
  test('request_headers_timeout answers a slowloris client with 408 and closes it', async () => {
    const p = await proxy({
      static_resources: {
        listeners: [{ name: 'slowloris', address: sa('127.0.0.1', 0), filter_chains: [{ filters: [hcm({ virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, direct_response: { status: 200 } }] }] }, { request_headers_timeout: '0.3s' })] }] }],
      },
    });
    try {
      const port = listenerPort(p, 'slowloris');
      const started = Date.now();
      const reply = await new Promise<string>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: '));
        let data = '';
        s.setEncoding('utf8');
        s.on('data', (d: string) => (data += d));
        s.on('error', () => resolve(data));
        s.on('close', () => resolve(data));
      });
      assert.match(reply, /^HTTP\/1\.1 408 Request Timeout/);
      assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
      assert.equal((await request(port, '/', { headers: { host: 'x' } })).status, 200);
    } finally {
      await p.shutdown();
    }
  });
});

describe('pseudo-header matchers', () => {
  test('routes match :method, :path and :authority as Envoy\'s header matchers see them (Istio\'s method match)', async () => {
    const routes = { virtual_hosts: [{ name: 'all', domains: ['*'], routes: [
      { match: { prefix: '/', headers: [{ name: ':method', string_match: { exact: 'POST' } }] }, direct_response: { status: 200, body: { inline_string: 'post' } } },
      { match: { prefix: '/', headers: [{ name: ':authority', string_match: { exact: 'other:9080' } }, { name: ':path', string_match: { prefix: '/p' } }] }, direct_response: { status: 200, body: { inline_string: 'authority' } } },
      { match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: 'other' } } },
    ] }] };
    const p = await proxy({ static_resources: { listeners: [{ name: 'pseudo', address: sa('127.0.0.1', 0), filter_chains: [{ filters: [hcm(routes)] }] }] } });
    try {
      const port = listenerPort(p, 'pseudo');
      assert.equal((await request(port, '/', { method: 'POST', headers: { host: 'x' } })).body, 'post');
      assert.equal((await request(port, '/p/1', { headers: { host: 'other:9080' } })).body, 'authority');
      assert.equal((await request(port, '/', { headers: { host: 'other:9080' } })).body, 'other');
      assert.equal((await request(port, '/', { headers: { host: 'x' } })).body, 'other');
    } finally {
      await p.shutdown();
    }
  });
});
