// Request mirroring (RouteAction.request_mirror_policies, Istio's VirtualService
// mirror) through real sockets: the shadow reaches the mirror with "-shadow" on its
// authority, and nothing the mirror does reaches the client.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { ProxyServer } from '../../src/proxy/index.js';
import { shadowHost } from '../../src/proxy/http/request-mirror.js';
import { eventually, listenerPort, proxy, sa, stat, staticCluster, unusedPort } from './helpers.js';
import { connectionManager, recordingUpstream, send } from './http-peers.js';
import type { RecordingUpstream } from './http-peers.js';

describe('request mirroring', () => {
  let up: RecordingUpstream;
  let shadow: RecordingUpstream;
  let slow: RecordingUpstream;
  let failing: RecordingUpstream;
  let p: ProxyServer;
  let port: number;
  before(async () => {
    up = await recordingUpstream('up');
    shadow = await recordingUpstream('shadow');
    // Answers after 3 s: the client's response must not wait for it.
    slow = await recordingUpstream('slow', (_req, res) => {
      setTimeout(() => res.end('late'), 3000).unref();
      return true;
    });
    failing = await recordingUpstream('failing', (_req, res) => {
      res.statusCode = 500;
      res.end('mirror broke');
      return true;
    });
    const dead = await unusedPort();
    const half = { runtime_fraction: { default_value: { numerator: 500_000, denominator: 'MILLION' } } };
    const routeConfig = {
      name: 'mirror',
      virtual_hosts: [
        {
          name: 'svc', domains: ['svc', 'svc:9080'],
          routes: [
            { match: { prefix: '/all' }, route: { cluster: 'up', request_mirror_policies: [{ cluster: 'shadow' }] } },
            { match: { prefix: '/half' }, route: { cluster: 'up', request_mirror_policies: [{ cluster: 'shadow', ...half }] } },
            { match: { prefix: '/to-dead' }, route: { cluster: 'up', request_mirror_policies: [{ cluster: 'dead' }] } },
            { match: { prefix: '/to-slow' }, route: { cluster: 'up', request_mirror_policies: [{ cluster: 'slow' }] } },
            { match: { prefix: '/to-failing' }, route: { cluster: 'up', request_mirror_policies: [{ cluster: 'failing' }, { cluster: 'shadow' }] } },
            { match: { prefix: '/to-missing' }, route: { cluster: 'up', request_mirror_policies: [{ cluster: 'no-such-cluster' }] } },
            { match: { prefix: '/no-suffix' }, route: { cluster: 'up', request_mirror_policies: [{ cluster: 'shadow', disable_shadow_host_suffix_append: true }] } },
            { match: { prefix: '/by-header' }, route: { cluster: 'up', request_mirror_policies: [{ cluster_header: 'x-mirror-to' }] } },
            { match: { prefix: '/' }, route: { cluster: 'up' } },
          ],
        },
        // A virtual host's policies apply to its routes that have none of their own.
        { name: 'vh-mirrored', domains: ['vh'], request_mirror_policies: [{ cluster: 'shadow' }], routes: [{ match: { prefix: '/' }, route: { cluster: 'up' } }] },
      ],
    };
    p = await proxy({
      static_resources: {
        listeners: [{ name: 'mirror', address: sa('127.0.0.1', 0), filter_chains: [{ filters: [connectionManager('mirror', routeConfig)] }] }],
        clusters: [
          staticCluster('up', [up.port]), staticCluster('shadow', [shadow.port]), staticCluster('dead', [dead]),
          staticCluster('slow', [slow.port]), staticCluster('failing', [failing.port]),
        ],
      },
    }, 11);
    port = listenerPort(p, 'mirror');
  });
  after(async () => {
    await p.shutdown();
    for (const u of [up, shadow, slow, failing]) await u.close();
  });

  /** Waits until every shadow the proxy started has reached the mirror. */
  const shadowsSettled = () => eventually(() => stat(p, 'cluster.shadow.upstream_rq_total') === shadow.seen.length && stat(p, 'cluster.shadow.upstream_rq_active') === 0);

  test('a mirrored request: the client gets the main cluster\'s answer; the mirror gets a copy with "-shadow" on the host', async () => {
    const reply = await send(port, '/all/items?x=1', { host: 'svc:9080', method: 'POST', body: 'payload', headers: { 'x-custom': 'yes' } });
    assert.equal(reply.status, 200);
    assert.equal(reply.body, 'up POST /all/items?x=1');
    await shadowsSettled();
    const copy = shadow.seen.at(-1)!;
    assert.equal(copy.method, 'POST');
    assert.equal(copy.url, '/all/items?x=1');
    assert.equal(copy.body, 'payload');
    assert.equal(copy.headers['host'], 'svc-shadow:9080');
    assert.equal(copy.headers['x-custom'], 'yes');
    // The same request: the main upstream saw the same request id, and its own host.
    const main = up.seen.at(-1)!;
    assert.equal(main.headers['host'], 'svc:9080');
    assert.equal(copy.headers['x-request-id'], main.headers['x-request-id']);
  });

  test('runtime_fraction: about half of 200 requests are mirrored, drawn from the seeded random source', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const before = shadow.seen.length;
    for (let i = 0; i < 200; i++) assert.equal((await send(port, '/half', { host: 'svc', agent })).status, 200);
    agent.destroy();
    await shadowsSettled();
    const mirrored = shadow.seen.length - before;
    // Expected 100, standard deviation about 7: ±35 is five of them.
    assert.ok(mirrored > 65 && mirrored < 135, `mirrored ${mirrored} of 200`);
  });

  test('a mirror that refuses connections, is slow, or fails never affects the request', async () => {
    assert.equal((await send(port, '/to-dead', { host: 'svc' })).body, 'up GET /to-dead');
    await eventually(() => stat(p, 'cluster.dead.upstream_cx_connect_fail') === 1);
    const started = performance.now();
    const reply = await send(port, '/to-slow', { host: 'svc' });
    assert.equal(reply.body, 'up GET /to-slow');
    assert.ok(performance.now() - started < 2500, 'the client did not wait for the mirror');
    await eventually(() => slow.seen.length === 1);
    const failed = await send(port, '/to-failing', { host: 'svc' });
    assert.equal(failed.status, 200);
    assert.equal(failed.body, 'up GET /to-failing');
    await eventually(() => stat(p, 'cluster.failing.upstream_rq_5xx') === 1);
    // Each policy sends its own copy.
    await shadowsSettled();
    assert.equal(shadow.seen.at(-1)!.url, '/to-failing');
    assert.equal((await send(port, '/to-missing', { host: 'svc' })).status, 200);
  });

  test('disable_shadow_host_suffix_append keeps the host; cluster_header names the mirror per request', async () => {
    await send(port, '/no-suffix', { host: 'svc' });
    await shadowsSettled();
    assert.equal(shadow.seen.at(-1)!.headers['host'], 'svc');
    const before = shadow.seen.length;
    await send(port, '/by-header', { host: 'svc' });
    await send(port, '/by-header', { host: 'svc', headers: { 'x-mirror-to': 'shadow' } });
    await shadowsSettled();
    assert.equal(shadow.seen.length, before + 1);
    assert.equal(shadow.seen.at(-1)!.headers['host'], 'svc-shadow');
  });

  test('a virtual host\'s mirror policies apply to its routes', async () => {
    await send(port, '/from-vh', { host: 'vh' });
    await shadowsSettled();
    assert.equal(shadow.seen.at(-1)!.url, '/from-vh');
    assert.equal(shadow.seen.at(-1)!.headers['host'], 'vh-shadow');
  });

  test('a body too big to buffer is sent once, unmirrored (retry_or_shadow_abandoned)', async () => {
    const before = shadow.seen.length;
    const big = 'x'.repeat((1 << 20) + 10);
    const reply = await send(port, '/all/big', { host: 'svc', method: 'POST', body: big });
    assert.equal(reply.status, 200);
    assert.equal(up.seen.at(-1)!.body.length, big.length);
    assert.equal(stat(p, 'cluster.up.retry_or_shadow_abandoned'), 1);
    await shadowsSettled();
    assert.equal(shadow.seen.length, before);
  });
});

describe('shadowHost', () => {
  test('"-shadow" goes on the host, before any port', () => {
    assert.equal(shadowHost('ratings'), 'ratings-shadow');
    assert.equal(shadowHost('ratings:9080'), 'ratings-shadow:9080');
    assert.equal(shadowHost('ratings.default.svc.cluster.local:9080'), 'ratings.default.svc.cluster.local-shadow:9080');
    assert.equal(shadowHost('[::1]:8080'), '[::1]-shadow:8080');
    assert.equal(shadowHost('[::1]'), '[::1]-shadow');
  });
});
