// envoy.filters.http.fault through real sockets: aborts and delays configured per
// route (as Istio generates them) or on the filter, the most specific level
// winning, with Envoy's response flags, access log and stats.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ConfigError, decodeResourceJson, typeUrls } from '../../src/proxy/index.js';
import type { ProxyServer } from '../../src/proxy/index.js';
import { compileRouteConfig } from '../../src/proxy/http/route-config.js';
import { eventually, listenerPort, proxy, sa, stat, staticCluster } from './helpers.js';
import { connectionManager, FAULT_TYPE, recordingUpstream, ROUTER, send } from './http-peers.js';
import type { RecordingUpstream } from './http-peers.js';

const abort = (status: number, numerator = 100, denominator = 'HUNDRED') => ({ '@type': FAULT_TYPE, abort: { http_status: status, percentage: { numerator, denominator } } });
const delay = (fixed: string, numerator = 100, extra: Record<string, unknown> = {}) => ({ '@type': FAULT_TYPE, delay: { fixed_delay: fixed, percentage: { numerator } }, ...extra });
const perFilter = (config: Record<string, unknown>) => ({ 'envoy.filters.http.fault': config });
const FAULT_FILTER = (config: Record<string, unknown> = {}) => ({ name: 'envoy.filters.http.fault', typed_config: { '@type': FAULT_TYPE, ...config } });

describe('fault injection (envoy.filters.http.fault)', () => {
  let up: RecordingUpstream;
  let p: ProxyServer;
  let port: number;
  let ladder: number;
  let filterDefault: number;
  let dir: string;
  let logFile: string;
  before(async () => {
    up = await recordingUpstream('up');
    dir = mkdtempSync(path.join(os.tmpdir(), 'outrigger-fault-'));
    logFile = path.join(dir, 'access.log');
    const routes = {
      name: 'faults',
      virtual_hosts: [{
        name: 'svc', domains: ['*'],
        routes: [
          { name: 'abort-all', match: { prefix: '/abort-all' }, route: { cluster: 'up' }, typed_per_filter_config: perFilter(abort(503)) },
          // Istio's encoding: a percentage over MILLION.
          { name: 'abort-some', match: { prefix: '/abort-some' }, route: { cluster: 'up' }, typed_per_filter_config: perFilter(abort(500, 250_000, 'MILLION')) },
          { name: 'delay', match: { prefix: '/delay-only' }, route: { cluster: 'up' }, typed_per_filter_config: perFilter(delay('0.3s')) },
          { name: 'delay-abort', match: { prefix: '/delay-then-abort' }, route: { cluster: 'up' }, typed_per_filter_config: perFilter({ ...delay('0.2s'), abort: { http_status: 429, percentage: { numerator: 100 } } }) },
          { name: 'long-delay', match: { prefix: '/long-delay' }, route: { cluster: 'up' }, typed_per_filter_config: perFilter(delay('1s', 100, { max_active_faults: 1 })) },
          { name: 'by-header', match: { prefix: '/by-header' }, route: { cluster: 'up' }, typed_per_filter_config: perFilter({ '@type': FAULT_TYPE, abort: { header_abort: {}, percentage: { numerator: 100 } }, delay: { header_delay: {}, percentage: { numerator: 100 } } }) },
          { name: 'only-jason', match: { prefix: '/only-jason' }, route: { cluster: 'up' }, typed_per_filter_config: perFilter({ ...abort(403), headers: [{ name: 'end-user', string_match: { exact: 'jason' } }] }) },
          { name: 'grpc', match: { prefix: '/grpc' }, route: { cluster: 'up' }, typed_per_filter_config: perFilter({ '@type': FAULT_TYPE, abort: { grpc_status: 14, percentage: { numerator: 100 } } }) },
          { name: 'zero', match: { prefix: '/zero' }, route: { cluster: 'up' }, typed_per_filter_config: perFilter(abort(500, 0)) },
          { name: 'plain', match: { prefix: '/' }, route: { cluster: 'up' } },
        ],
      }],
    };
    // route configuration < virtual host < route: the most specific entry wins whole.
    const ladderRoutes = {
      name: 'ladder',
      typed_per_filter_config: perFilter(abort(501)),
      virtual_hosts: [
        { name: 'vh', domains: ['vh'], typed_per_filter_config: perFilter(abort(502)), routes: [
          { match: { prefix: '/route' }, route: { cluster: 'up' }, typed_per_filter_config: perFilter(abort(503)) },
          { match: { prefix: '/' }, route: { cluster: 'up' } },
        ] },
        { name: 'other', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'up' } }] },
      ],
    };
    // The filter's own config is the default; a route's entry replaces it (here: no fault at all).
    const defaultRoutes = {
      name: 'default',
      virtual_hosts: [{ name: 'all', domains: ['*'], routes: [
        { match: { prefix: '/off' }, route: { cluster: 'up' }, typed_per_filter_config: perFilter({ '@type': FAULT_TYPE }) },
        { match: { prefix: '/' }, route: { cluster: 'up' } },
      ] }],
    };
    const log = [{
      name: 'envoy.access_loggers.file',
      typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog', path: logFile, log_format: { text_format_source: { inline_string: '%REQ(:PATH)% %RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS%\n' } } },
    }];
    p = await proxy({
      static_resources: {
        listeners: [
          { name: 'faults', address: sa('127.0.0.1', 0), filter_chains: [{ filters: [connectionManager('faults', routes, { http_filters: [FAULT_FILTER(), ROUTER], access_log: log })] }] },
          { name: 'ladder', address: sa('127.0.0.1', 0), filter_chains: [{ filters: [connectionManager('ladder', ladderRoutes, { http_filters: [FAULT_FILTER(), ROUTER] })] }] },
          { name: 'default', address: sa('127.0.0.1', 0), filter_chains: [{ filters: [connectionManager('default', defaultRoutes, { http_filters: [FAULT_FILTER({ abort: { http_status: 500, percentage: { numerator: 100 } } }), ROUTER] })] }] },
        ],
        clusters: [staticCluster('up', [up.port])],
      },
    }, 7);
    port = listenerPort(p, 'faults');
    ladder = listenerPort(p, 'ladder');
    filterDefault = listenerPort(p, 'default');
  });
  after(async () => {
    await p.shutdown();
    await up.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('abort at 100 %: Envoy\'s status and body, and the upstream never sees it', async () => {
    const before = up.seen.length;
    const reply = await send(port, '/abort-all');
    assert.equal(reply.status, 503);
    assert.equal(reply.body, 'fault filter abort');
    assert.equal(reply.headers['content-type'], 'text/plain');
    assert.equal(up.seen.length, before);
    assert.equal(stat(p, 'http.faults.fault.aborts_injected'), 1);
  });

  test('abort by percentage: about 25 % of 400 requests, drawn from the seeded random source', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let aborted = 0;
    for (let i = 0; i < 400; i++) {
      const reply = await send(port, '/abort-some', { agent });
      if (reply.status === 500) {
        assert.equal(reply.body, 'fault filter abort');
        aborted++;
      } else assert.equal(reply.status, 200);
    }
    agent.destroy();
    // Expected 100, standard deviation about 8.7: ±40 is more than 4.5 of them.
    assert.ok(aborted > 60 && aborted < 140, `aborted ${aborted} of 400`);
    assert.equal(stat(p, 'http.faults.fault.aborts_injected'), 1 + aborted);
  });

  test('a 0 % abort never fires', async () => {
    for (let i = 0; i < 20; i++) assert.equal((await send(port, '/zero')).status, 200);
  });

  test('a delayed request waits at least the fixed delay, then reaches the upstream', async () => {
    const started = performance.now();
    const reply = await send(port, '/delay-only');
    const elapsed = performance.now() - started;
    assert.equal(reply.status, 200);
    assert.equal(reply.body, 'up GET /delay-only');
    // Node's timers count whole milliseconds of loop time, so allow for the sub-millisecond rounding.
    assert.ok(elapsed >= 299, `took ${elapsed} ms`);
    assert.equal(stat(p, 'http.faults.fault.delays_injected'), 1);
  });

  test('a delay followed by an abort: both counted, the abort answers', async () => {
    const started = performance.now();
    const reply = await send(port, '/delay-then-abort');
    assert.ok(performance.now() - started >= 199);
    assert.equal(reply.status, 429);
    assert.equal(reply.body, 'fault filter abort');
    assert.equal(stat(p, 'http.faults.fault.delays_injected'), 2);
  });

  test('the access log shows FI for aborts and DI for delays, with the abort\'s details', async () => {
    await eventually(() => {
      try {
        return readFileSync(logFile, 'utf8').includes('/delay-then-abort');
      } catch {
        return false;
      }
    });
    const lines = readFileSync(logFile, 'utf8').trim().split('\n');
    assert.ok(lines.includes('/abort-all 503 FI fault_filter_abort'), lines.slice(0, 3).join('\n'));
    assert.ok(lines.includes('/delay-only 200 DI via_upstream'));
    assert.ok(lines.includes('/delay-then-abort 429 DI,FI fault_filter_abort'));
    assert.ok(lines.includes('/zero 200 - via_upstream'));
  });

  test('max_active_faults: a second request while one is delayed is not delayed (faults_overflow)', async () => {
    const first = send(port, '/long-delay');
    await eventually(() => stat(p, 'http.faults.fault.active_faults') === 1);
    const started = performance.now();
    const second = await send(port, '/long-delay');
    assert.equal(second.status, 200);
    assert.ok(performance.now() - started < 900, 'the second request was not delayed');
    assert.equal(stat(p, 'http.faults.fault.faults_overflow'), 1);
    assert.equal((await first).status, 200);
    await eventually(() => stat(p, 'http.faults.fault.active_faults') === 0);
  });

  test('a client that leaves while delayed: the request goes no further', async () => {
    const before = up.seen.length;
    await new Promise<void>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/long-delay', headers: { host: 'svc' }, agent: false });
      req.on('error', () => resolve());
      req.end();
      // A reset, not a FIN: the connection manager keeps half-closed connections open to answer them.
      void eventually(() => stat(p, 'http.faults.fault.active_faults') === 1).then(() => req.socket!.resetAndDestroy());
    });
    await eventually(() => stat(p, 'http.faults.fault.active_faults') === 0);
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal(up.seen.length, before);
  });

  test('header_abort and header_delay: Envoy\'s x-envoy-fault-* request headers decide', async () => {
    assert.equal((await send(port, '/by-header')).status, 200);
    const aborted = await send(port, '/by-header', { headers: { 'x-envoy-fault-abort-request': '418' } });
    assert.equal(aborted.status, 418);
    // A percentage header of 0 turns it off for this request.
    assert.equal((await send(port, '/by-header', { headers: { 'x-envoy-fault-abort-request': '418', 'x-envoy-fault-abort-request-percentage': '0' } })).status, 200);
    // A status outside 200..599 is ignored.
    assert.equal((await send(port, '/by-header', { headers: { 'x-envoy-fault-abort-request': '99' } })).status, 200);
    const started = performance.now();
    assert.equal((await send(port, '/by-header', { headers: { 'x-envoy-fault-delay-request': '150' } })).status, 200);
    assert.ok(performance.now() - started >= 149);
  });

  test('headers: only matching requests get the fault; per-caller stats from x-envoy-downstream-service-cluster', async () => {
    assert.equal((await send(port, '/only-jason')).status, 200);
    const reply = await send(port, '/only-jason', { headers: { 'end-user': 'jason', 'x-envoy-downstream-service-cluster': 'productpage' } });
    assert.equal(reply.status, 403);
    assert.equal(stat(p, 'http.faults.fault.productpage.aborts_injected'), 1);
    const prom = p.stats.all().filter((s) => s.name === 'http.faults.fault.productpage.aborts_injected')[0]!;
    assert.equal(prom.promName, 'envoy_http_fault_aborts_injected');
    assert.deepEqual(prom.tags, [['envoy_http_conn_manager_prefix', 'faults'], ['envoy_fault_downstream_cluster', 'productpage']]);
  });

  test('grpc_status: a trailers-only gRPC reply over HTTP/2', async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const { headers, flags } = await new Promise<{ headers: http2.IncomingHttpHeaders; flags: number }>((resolve, reject) => {
        const stream = session.request({ ':path': '/grpc/Svc/Method', ':method': 'POST', 'content-type': 'application/grpc', te: 'trailers' });
        stream.on('response', (h, f) => resolve({ headers: h, flags: f }));
        stream.on('error', reject);
        stream.end();
      });
      assert.equal(headers[':status'], 200);
      assert.equal(headers['grpc-status'], '14');
      assert.equal(headers['grpc-message'], 'fault filter abort');
      assert.ok(flags & http2.constants.NGHTTP2_FLAG_END_STREAM, 'headers end the stream');
    } finally {
      session.close();
    }
  });

  test('the most specific typed_per_filter_config wins: route, then virtual host, then route configuration', async () => {
    assert.equal((await send(ladder, '/route', { host: 'vh' })).status, 503);
    assert.equal((await send(ladder, '/elsewhere', { host: 'vh' })).status, 502);
    assert.equal((await send(ladder, '/', { host: 'other' })).status, 501);
  });

  test('the filter\'s own config applies where no route overrides it; a route\'s empty entry turns it off', async () => {
    const aborted = await send(filterDefault, '/anything');
    assert.equal(aborted.status, 500);
    assert.equal(aborted.body, 'fault filter abort');
    const passed = await send(filterDefault, '/off');
    assert.equal(passed.status, 200);
    assert.equal(passed.body, 'up GET /off');
    assert.equal(stat(p, 'http.default.fault.aborts_injected'), 1);
  });
});

describe('fault configuration', () => {
  const route = (typedPerFilterConfig: Record<string, unknown>) => ({
    name: 'r', virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'c' }, typed_per_filter_config: typedPerFilterConfig }] }],
  });

  test('Istio\'s route with a fault decodes and compiles', () => {
    const decoded = decodeResourceJson(typeUrls.routeConfiguration, route(perFilter(abort(500, 100_000, 'MILLION'))));
    compileRouteConfig(decoded as never, 'r');
  });

  test('a per-route config for a filter without one, or of an unknown type, is refused by name', () => {
    assert.throws(() => compileRouteConfig(route({ 'envoy.filters.http.router': ROUTER.typed_config }) as never, 'r'), (e: unknown) =>
      e instanceof ConfigError && e.message === 'r.virtual_hosts[0]("vh").routes[0].typed_per_filter_config["envoy.filters.http.router"]: typed_per_filter_config "envoy.filters.http.router": HTTP filter envoy.filters.http.router takes no per-route configuration');
    assert.throws(() => decodeResourceJson(typeUrls.routeConfiguration, route({ 'envoy.filters.http.cors': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy' } })),
      /"@type" envoy\.extensions\.filters\.http\.cors\.v3\.CorsPolicy is not a type the outrigger proxy supports/);
    assert.throws(() => compileRouteConfig(route({ 'envoy.filters.http.lua': { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy' } }) as never, 'r'),
      /typed_per_filter_config "envoy\.filters\.http\.lua": type\.googleapis\.com\/envoy\.extensions\.filters\.network\.tcp_proxy\.v3\.TcpProxy is not an HTTP filter the outrigger proxy supports/);
  });

  test('fault fields the proxy does not implement are refused by name', () => {
    assert.throws(() => decodeResourceJson(typeUrls.routeConfiguration, route(perFilter({ ...abort(500), upstream_cluster: 'c' }))),
      /field "upstream_cluster" of envoy\.extensions\.filters\.http\.fault\.v3\.HTTPFault is not supported/);
    assert.throws(() => decodeResourceJson(typeUrls.routeConfiguration, route(perFilter({ ...abort(500), response_rate_limit: { fixed_limit: { limit_kbps: 1 }, percentage: { numerator: 100 } } }))),
      /field "response_rate_limit" of envoy\.extensions\.filters\.http\.fault\.v3\.HTTPFault is not supported/);
  });

  test('Envoy\'s validation: an abort status outside 200..599, a zero delay, an abort without a status', () => {
    assert.throws(() => decodeResourceJson(typeUrls.routeConfiguration, route(perFilter(abort(700)))), /abort\.http_status: must be less than 600, got 700/);
    assert.throws(() => compileRouteConfig(route(perFilter(delay('0s'))) as never, 'r'), /delay\.fixed_delay: fixed_delay must be greater than 0s/);
    assert.throws(() => decodeResourceJson(typeUrls.routeConfiguration, route(perFilter({ '@type': FAULT_TYPE, abort: { percentage: { numerator: 1 } } }))), /one of "http_status", "grpc_status", "header_abort" is required/);
  });
});
