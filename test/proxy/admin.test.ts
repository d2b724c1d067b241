// The admin API's endpoints and Envoy's shapes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { echoServer, exchange, httpGet, listenerPort, proxy, sa, staticCluster, tcpProxyFilter } from './helpers.js';
import type { TestServer } from './helpers.js';
import type { ProxyServer } from '../../src/proxy/index.js';

describe('admin API', () => {
  let backend: TestServer;
  let p: ProxyServer;
  let admin: number;
  before(async () => {
    backend = await echoServer('b');
    p = await proxy({
      node: { id: 'sidecar~127.0.0.1~app.default~default.svc.cluster.local', cluster: 'app.default' },
      admin: { address: sa('127.0.0.1', 0) },
      static_resources: {
        listeners: [{ name: 'tcp', address: sa('127.0.0.1', 0), filter_chains: [{ filters: [tcpProxyFilter('backend')] }] }],
        clusters: [staticCluster('backend', [backend.port]), { name: 'BlackHoleCluster', type: 'STATIC', connect_timeout: '10s' }],
      },
    });
    admin = p.adminAddress!.port;
    assert.equal(await exchange(listenerPort(p, 'tcp'), 'x'), 'b:x');
  });
  after(async () => {
    await p.shutdown();
    await backend.close();
  });

  test('/ready and /server_info', async () => {
    assert.deepEqual(await httpGet(admin, '/ready'), { status: 200, body: 'LIVE\n', type: 'text/plain; charset=UTF-8' });
    const info = JSON.parse((await httpGet(admin, '/server_info')).body) as Record<string, unknown>;
    assert.equal(info['state'], 'LIVE');
    assert.equal(info['hot_restart_version'], 'disabled');
    assert.deepEqual(info['node'], { id: 'sidecar~127.0.0.1~app.default~default.svc.cluster.local', cluster: 'app.default' });
    assert.match(String(info['uptime_current_epoch']), /^\d+s$/);
  });

  test('/listeners, text and JSON', async () => {
    const port = listenerPort(p, 'tcp');
    assert.equal((await httpGet(admin, '/listeners')).body, `tcp::127.0.0.1:${port}\n`);
    assert.deepEqual(JSON.parse((await httpGet(admin, '/listeners?format=json')).body), {
      listener_statuses: [{ name: 'tcp', local_address: { socket_address: { address: '127.0.0.1', port_value: port } } }],
    });
  });

  test('/clusters, text and JSON', async () => {
    const text = (await httpGet(admin, '/clusters')).body;
    const host = `backend::127.0.0.1:${backend.port}`;
    for (const line of [`${host}::cx_total::1`, `${host}::cx_active::0`, `${host}::health_flags::healthy`, `${host}::weight::1`, 'backend::added_via_api::false', 'BlackHoleCluster::added_via_api::false']) {
      assert.ok(text.split('\n').includes(line), `missing ${line} in\n${text}`);
    }
    const json = JSON.parse((await httpGet(admin, '/clusters?format=json')).body) as { cluster_statuses: { name: string; host_statuses: { address: unknown; stats: { name: string; value: string; type?: string }[]; health_status: unknown }[] }[] };
    const backendStatus = json.cluster_statuses.find((c) => c.name === 'backend')!;
    assert.deepEqual(backendStatus.host_statuses[0]!.address, { socket_address: { address: '127.0.0.1', port_value: backend.port } });
    assert.deepEqual(backendStatus.host_statuses[0]!.stats.find((s) => s.name === 'cx_total'), { name: 'cx_total', value: '1' });
    assert.deepEqual(backendStatus.host_statuses[0]!.stats.find((s) => s.name === 'cx_active'), { type: 'GAUGE', name: 'cx_active', value: '0' });
    assert.deepEqual(backendStatus.host_statuses[0]!.health_status, { eds_health_status: 'HEALTHY' });
    assert.deepEqual(json.cluster_statuses.find((c) => c.name === 'BlackHoleCluster')!.host_statuses, []);
  });

  test('/config_dump has Envoy\'s ConfigDump shape and round-trips the accepted config', async () => {
    const dump = JSON.parse((await httpGet(admin, '/config_dump')).body) as { configs: Record<string, unknown>[] };
    assert.deepEqual(dump.configs.map((c) => c['@type']), [
      'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump',
      'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
      'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
      'type.googleapis.com/envoy.admin.v3.RoutesConfigDump',
      'type.googleapis.com/envoy.admin.v3.SecretsConfigDump',
    ]);
    const listeners = dump.configs[2]!['static_listeners'] as { listener: Record<string, unknown>; last_updated: string }[];
    assert.equal(listeners[0]!.listener['@type'], 'type.googleapis.com/envoy.config.listener.v3.Listener');
    assert.equal(listeners[0]!.listener['name'], 'tcp');
    assert.match(listeners[0]!.last_updated, /^\d{4}-\d\d-\d\dT/);
    // What config_dump prints decodes again to the same thing (as a bootstrap would).
    const bootstrap = (dump.configs[0]!['bootstrap']) as Record<string, unknown>;
    const { decodeBootstrap } = await import('../../src/proxy/index.js');
    assert.deepEqual(decodeBootstrap(bootstrap), bootstrap);
  });

  test('/config_dump?resource= and ?mask=', async () => {
    const only = JSON.parse((await httpGet(admin, '/config_dump?resource=static_clusters')).body) as { configs: Record<string, unknown>[] };
    assert.deepEqual(only.configs.map((c) => c['@type']), ['type.googleapis.com/envoy.admin.v3.ClustersConfigDump.StaticCluster', 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump.StaticCluster']);
    assert.deepEqual(only.configs.map((c) => (c['cluster'] as { name: string }).name), ['backend', 'BlackHoleCluster']);
    const masked = JSON.parse((await httpGet(admin, '/config_dump?resource=static_clusters&mask=cluster.name')).body) as { configs: unknown[] };
    assert.deepEqual(masked.configs[0], { '@type': 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump.StaticCluster', cluster: { '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster', name: 'backend' } });
    const bad = await httpGet(admin, '/config_dump?resource=nonsense');
    assert.equal(bad.status, 404);
  });

  test('/stats text, JSON and filter; /stats/prometheus with tags extracted', async () => {
    const text = (await httpGet(admin, '/stats')).body.split('\n');
    for (const line of ['cluster.backend.upstream_cx_total: 1', 'cluster.backend.upstream_cx_active: 0', 'listener.127.0.0.1_0.downstream_cx_total: 1', 'server.live: 1', 'tcp.backend.downstream_cx_total: 1']) {
      assert.ok(text.includes(line), `missing ${line}`);
    }
    const filtered = JSON.parse((await httpGet(admin, '/stats?format=json&filter=^cluster\\.backend\\.upstream_cx_total$')).body);
    assert.deepEqual(filtered, { stats: [{ name: 'cluster.backend.upstream_cx_total', value: 1 }] });
    const prom = await httpGet(admin, '/stats/prometheus');
    assert.equal(prom.type, 'text/plain; version=0.0.4; charset=UTF-8');
    const lines = prom.body.split('\n');
    assert.ok(lines.includes('# TYPE envoy_cluster_upstream_cx_total counter'));
    assert.ok(lines.includes('envoy_cluster_upstream_cx_total{envoy_cluster_name="backend"} 1'));
    assert.ok(lines.includes('envoy_cluster_upstream_cx_active{envoy_cluster_name="backend"} 0'));
    assert.ok(lines.includes('# TYPE envoy_cluster_upstream_cx_active gauge'));
    assert.ok(lines.includes('envoy_listener_downstream_cx_total{envoy_listener_address="127.0.0.1_0"} 1'));
    assert.ok(lines.includes('envoy_server_live 1'));
  });

  test('mutating endpoints need POST; /healthcheck/fail makes /ready 503 until /healthcheck/ok', async () => {
    assert.equal((await httpGet(admin, '/healthcheck/fail')).status, 405);
    assert.equal((await httpGet(admin, '/healthcheck/fail', 'POST')).body, 'OK\n');
    assert.deepEqual(await httpGet(admin, '/ready'), { status: 503, body: 'DRAINING\n', type: 'text/plain; charset=UTF-8' });
    assert.ok((await httpGet(admin, '/stats')).body.split('\n').includes('server.live: 0'));
    await httpGet(admin, '/healthcheck/ok', 'POST');
    assert.equal((await httpGet(admin, '/ready')).status, 200);
  });

  test('unknown paths get 404 with the help text', async () => {
    const r = await httpGet(admin, '/nope');
    assert.equal(r.status, 404);
    assert.match(r.body, /\/config_dump: dump current Envoy configs/);
  });
});

describe('admin /quitquitquit', () => {
  test('shuts the server down', async () => {
    const p = await proxy({ admin: { address: sa('127.0.0.1', 0) }, static_resources: {} });
    const closed = p.closed();
    assert.equal((await httpGet(p.adminAddress!.port, '/quitquitquit', 'POST')).body, 'OK\n');
    await closed;
  });
});
