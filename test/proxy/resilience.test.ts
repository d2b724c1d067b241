// Circuit breakers and outlier detection: the detector as a table, then both on real sockets.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { OutlierDetector } from '../../src/proxy/upstream/outlier-detector.js';
import type { OutlierResult } from '../../src/proxy/upstream/outlier-detector.js';
import { Host } from '../../src/proxy/upstream/host.js';
import { StatsStore } from '../../src/proxy/stats.js';
import { ConfigError } from '../../src/proxy/index.js';
import type { ProxyServer } from '../../src/proxy/index.js';
import { echoServer, eventually, httpGet, listenerPort, proxy, sa, stat, staticCluster, tcpProxyFilter } from './helpers.js';
import type { TestServer } from './helpers.js';

const E500: OutlierResult = { kind: 'http', status: 500 };
const E503: OutlierResult = { kind: 'http', status: 503 };
const OK: OutlierResult = { kind: 'success' };
const LOCAL: OutlierResult = { kind: 'local-failure' };

describe('outlier detection decisions', () => {
  const cases: { name: string; config: Record<string, unknown>; hosts: number; results: [number, OutlierResult][]; ejected: number[] }[] = [
    { name: 'consecutive 5xx eject', config: { consecutive_5xx: 3, max_ejection_percent: 50 }, hosts: 2, results: [[0, E500], [0, E500], [0, E500]], ejected: [0] },
    { name: 'a success in between resets the count', config: { consecutive_5xx: 3, max_ejection_percent: 50 }, hosts: 2, results: [[0, E500], [0, E500], [0, OK], [0, E500]], ejected: [] },
    { name: 'connect failures count as 503s', config: { consecutive_5xx: 2, max_ejection_percent: 50 }, hosts: 2, results: [[0, LOCAL], [0, LOCAL]], ejected: [0] },
    { name: 'max_ejection_percent stops a second ejection', config: { consecutive_5xx: 1, max_ejection_percent: 50 }, hosts: 2, results: [[0, E500], [1, E500]], ejected: [0] },
    { name: 'the default 10% ejects nobody from two hosts', config: { consecutive_5xx: 1 }, hosts: 2, results: [[0, E500]], ejected: [] },
    { name: 'always_eject_one_host overrides the percentage once', config: { consecutive_5xx: 1, always_eject_one_host: true }, hosts: 2, results: [[0, E500], [1, E500]], ejected: [0] },
    { name: 'gateway failures are detected but not enforced by default', config: { consecutive_5xx: 10, consecutive_gateway_failure: 2, max_ejection_percent: 100 }, hosts: 2, results: [[0, E503], [0, E503]], ejected: [] },
    { name: 'enforced gateway failures eject', config: { consecutive_5xx: 10, consecutive_gateway_failure: 2, enforcing_consecutive_gateway_failure: 100, max_ejection_percent: 100 }, hosts: 2, results: [[1, E503], [1, E503]], ejected: [1] },
    { name: 'enforcing_consecutive_5xx 0 detects only', config: { consecutive_5xx: 1, enforcing_consecutive_5xx: 0, max_ejection_percent: 100 }, hosts: 1, results: [[0, E500]], ejected: [] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const hosts = Array.from({ length: c.hosts }, (_, i) => new Host(`10.0.0.${i}`, 80));
      const detector = new OutlierDetector({ enforcing_success_rate: 0, ...c.config }, new StatsStore(), 'c', 'outlier_detection');
      for (const [i, result] of c.results) detector.report(hosts[i]!, result, hosts.length);
      assert.deepEqual(hosts.flatMap((h, i) => (h.ejected ? [i] : [])), c.ejected);
    });
  }

  test('an ejected host comes back after base_ejection_time', async () => {
    const host = new Host('10.0.0.1', 80);
    const detector = new OutlierDetector({ enforcing_success_rate: 0, consecutive_5xx: 1, max_ejection_percent: 100, base_ejection_time: '0.05s' }, new StatsStore(), 'c', 'o');
    detector.report(host, E500, 1);
    assert.equal(host.ejected, true);
    assert.equal(host.healthy, false);
    await eventually(() => !host.ejected, 1000);
  });

  test('success-rate detection must be turned off explicitly', () => {
    assert.throws(() => new OutlierDetector({}, new StatsStore(), 'c', 'clusters[0].outlier_detection'), (e: unknown) =>
      e instanceof ConfigError && e.message === 'clusters[0].outlier_detection.enforcing_success_rate: success-rate outlier detection is not supported by the outrigger proxy: set enforcing_success_rate to 0 (Istio does)');
  });
});

describe('on real sockets', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  function httpServer(handler: http.RequestListener): Promise<number> {
    const server = http.createServer(handler);
    cleanups.push(() => {
      server.closeAllConnections();
      server.close();
    });
    return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
  }

  const hcm = (cluster: string) => ({
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
      stat_prefix: 'h',
      route_config: { virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster } }] }] },
      http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
    },
  });

  async function track<T extends ProxyServer | TestServer>(x: T): Promise<T> {
    cleanups.push(() => ('shutdown' in x ? x.shutdown() : x.close()));
    return x;
  }

  test('outlier detection ejects a host that keeps failing; traffic goes to the healthy one', async () => {
    const bad = await httpServer((_req, res) => {
      res.statusCode = 500;
      res.end('bad');
    });
    const good = await httpServer((_req, res) => res.end('good'));
    const p = await track(await proxy({
      admin: { address: sa('127.0.0.1', 0) },
      static_resources: {
        listeners: [{ name: 'l', address: sa('127.0.0.1', 0), filter_chains: [{ filters: [hcm('svc')] }] }],
        clusters: [staticCluster('svc', [bad, good], { outlier_detection: { consecutive_5xx: 2, max_ejection_percent: 50, enforcing_success_rate: 0, base_ejection_time: '30s' } })],
      },
    }));
    const port = listenerPort(p, 'l');
    const bodies: string[] = [];
    for (let i = 0; i < 12; i++) bodies.push((await httpGet(port, '/')).body);
    assert.deepEqual(bodies.slice(-6), Array(6).fill('good'));
    assert.equal(bodies.filter((b) => b === 'bad').length, 2);
    assert.equal(stat(p, 'cluster.svc.outlier_detection.ejections_enforced_total'), 1);
    assert.equal(stat(p, 'cluster.svc.outlier_detection.ejections_active'), 1);
    assert.ok((await httpGet(p.adminAddress!.port, '/clusters')).body.split('\n').includes(`svc::127.0.0.1:${bad}::health_flags::/failed_outlier_check`));
  });

  test('max_requests: a request over the limit gets 503 overflow at once', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = await httpServer((_req, res) => void gate.then(() => res.end('done')));
    const p = await track(await proxy({
      static_resources: {
        listeners: [{ name: 'l', address: sa('127.0.0.1', 0), filter_chains: [{ filters: [hcm('slow')] }] }],
        clusters: [staticCluster('slow', [slow], { circuit_breakers: { thresholds: [{ max_requests: 1 }] } })],
      },
    }));
    const port = listenerPort(p, 'l');
    const first = httpGet(port, '/');
    await eventually(() => stat(p, 'cluster.slow.upstream_rq_active') === 1);
    const second = await httpGet(port, '/');
    assert.equal(second.status, 503);
    assert.equal(second.body, 'upstream connect error or disconnect/reset before headers. reset reason: overflow');
    assert.equal(stat(p, 'cluster.slow.upstream_rq_pending_overflow'), 1);
    release();
    assert.equal((await first).body, 'done');
  });

  test('max_connections on a TCP cluster closes the connection over the limit', async () => {
    const echo = await track(await echoServer('e'));
    const p = await track(await proxy({
      static_resources: {
        listeners: [{ name: 't', address: sa('127.0.0.1', 0), filter_chains: [{ filters: [tcpProxyFilter('one')] }] }],
        clusters: [staticCluster('one', [echo.port], { circuit_breakers: { thresholds: [{ max_connections: 1 }] } })],
      },
    }));
    const port = listenerPort(p, 't');
    const held = net.connect(port, '127.0.0.1');
    held.on('error', () => undefined);
    await new Promise((r) => held.once('data', r));
    const refused = await new Promise<string>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      let data = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => (data += d));
      s.on('error', () => resolve(data));
      s.on('close', () => resolve(data));
    });
    assert.equal(refused, '');
    assert.equal(stat(p, 'cluster.one.upstream_cx_overflow'), 1);
    held.destroy();
  });
});
