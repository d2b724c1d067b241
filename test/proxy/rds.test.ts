// RDS: a connection manager that names its routes gets them when the xDS client
// delivers them, and every update applies to the next request.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { decodeResourceJson, typeUrls } from '../../src/proxy/index.js';
import type { ProxyServer } from '../../src/proxy/index.js';
import { httpGet, listenerPort, proxy, sa, staticCluster } from './helpers.js';

async function named(name: string): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((_req, res) => res.end(name));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

const routeConfig = (cluster: string) =>
  decodeResourceJson(typeUrls.routeConfiguration, { name: '9080', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster } }] }] });

describe('RDS in the HTTP connection manager', () => {
  let a: { server: http.Server; port: number };
  let b: { server: http.Server; port: number };
  let server: ProxyServer;
  let port = 0;
  before(async () => {
    a = await named('from-a');
    b = await named('from-b');
    server = await proxy({
      static_resources: {
        clusters: [staticCluster('a', [a.port]), staticCluster('b', [b.port])],
        listeners: [{
          name: '0.0.0.0_9080',
          address: sa('127.0.0.1', 0),
          filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
            stat_prefix: 'outbound_0.0.0.0_9080',
            rds: { config_source: { ads: {}, resource_api_version: 'V3' }, route_config_name: '9080' },
            http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
          } }] }],
        }],
      },
    });
    port = listenerPort(server, '0.0.0.0_9080');
  });
  after(async () => {
    await server.shutdown();
    a.server.close();
    b.server.close();
  });

  test('before the routes arrive, requests get 404 (no route)', async () => {
    assert.equal((await httpGet(port, '/')).status, 404);
  });

  test('an RDS update routes the next request; another one re-routes it', async () => {
    server.routeConfigs.update(routeConfig('a'), 'v1');
    assert.equal((await httpGet(port, '/')).body, 'from-a');
    server.routeConfigs.update(routeConfig('b'), 'v2');
    assert.equal((await httpGet(port, '/')).body, 'from-b');
  });

  test('a route configuration that does not compile changes nothing', () => {
    const bad = decodeResourceJson(typeUrls.routeConfiguration, { name: '9080', virtual_hosts: [{ name: 'x', domains: ['*'], routes: [{ match: { safe_regex: { regex: '(' } }, route: { cluster: 'a' } }] }] });
    assert.throws(() => server.routeConfigs.update(bad, 'v3'));
    return httpGet(port, '/').then((r) => assert.equal(r.body, 'from-b'));
  });

  test('config_dump lists the dynamic route configuration with its version', () => {
    const dump = server.configDump() as { configs: Record<string, any>[] };
    const routes = dump.configs.find((c) => String(c['@type']).endsWith('RoutesConfigDump'))!;
    assert.equal(routes['dynamic_route_configs'][0]['version_info'], 'v2');
    assert.equal(routes['dynamic_route_configs'][0]['route_config']['name'], '9080');
  });
});

describe('normalize_path', () => {
  test('dot segments are resolved before routing; the query is kept', async () => {
    const { normalizedPath } = await import('../../src/proxy/network-filters/http-connection-manager.js');
    const cases: [string, string][] = [
      ['/a/b', '/a/b'], ['/public/../admin', '/admin'], ['/a/./b/', '/a/b/'], ['/../../x', '/x'], ['/a/b/..', '/a/'], ['/a/..?q=../x', '/?q=../x'], ['/', '/'], ['*', '*'],
    ];
    for (const [input, expected] of cases) assert.equal(normalizedPath(input), expected, input);
  });
});
