// proxy-config tables over a config dump holding what discovery generates for the
// seeds' reviews pod (packed and unpacked through Envoy's protos, so the dump has
// the snake_case shape Envoy's admin prints).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { buildModel } from '../../src/discovery/model.js';
import { parseNodeId } from '../../src/discovery/proxy.js';
import { generateForProxy, TypeUrl } from '../../src/discovery/generate/index.js';
import { packAny, unpackAny } from '../../src/xds/codec.js';
import { clustersOf, describeDomains, listenersOf, renderClusters, renderEndpoints, renderListeners, renderRoutes, routesOf, toCamel } from '../../src/debug/index.js';

type Obj = Record<string, any>;
const here = path.dirname(fileURLToPath(import.meta.url));
const objects = parseAllDocuments(readFileSync(path.join(here, '..', 'discovery', 'fixtures', 'bookinfo.yaml'), 'utf8')).map((d) => d.toJS() as Obj);
const routing = parseAllDocuments(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings, namespace: default}
spec:
  hosts: [ratings]
  http:
  - match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: ratings, subset: v1}}]
  - route: [{destination: {host: ratings}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings, namespace: default}
spec:
  host: ratings
  subsets: [{name: v1, labels: {version: v1}}]
`).map((d) => d.toJS() as Obj);

const resources = generateForProxy(buildModel([...objects, ...routing]), parseNodeId('sidecar~10.4.1.5~reviews-v1-545db77b95-jkgv2.default~default.svc.cluster.local'));
const envoyShape = (typeUrl: string, r: Obj) => unpackAny(packAny(typeUrl, r));
const dump = {
  configs: [
    { '@type': 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump', bootstrap: { node: { id: 'x' } } },
    { '@type': 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump', dynamic_active_clusters: resources.clusters.map((c) => ({ version_info: 'v1', cluster: envoyShape(TypeUrl.Cluster, c) })) },
    { '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump', dynamic_listeners: resources.listeners.map((l) => ({ name: l['name'], active_state: { version_info: 'v1', listener: envoyShape(TypeUrl.Listener, l) } })) },
    { '@type': 'type.googleapis.com/envoy.admin.v3.RoutesConfigDump', dynamic_route_configs: resources.routes.map((r) => ({ version_info: 'v1', route_config: envoyShape(TypeUrl.RouteConfiguration, r) })) },
  ],
};
const lines = (text: string) => text.trimEnd().split('\n').map((l) => l.replace(/ +/g, ' '));

describe('proxy-config listener', () => {
  test('the inbound listener on 15006 as the seed shows it', () => {
    const table = lines(renderListeners(listenersOf(dump), { port: 15006 }));
    assert.deepEqual(table, [
      'ADDRESS PORT MATCH DESTINATION',
      '0.0.0.0 15006 Addr: *:15006 BlackHoleCluster',
      '0.0.0.0 15006 Trans: raw_buffer; Addr: *:9080 Cluster: inbound|9080||',
      '0.0.0.0 15006 Addr: 0.0.0.0/0 InboundPassthroughClusterIpv4',
      '0.0.0.0 15006 Addr: ::/0 InboundPassthroughClusterIpv6',
    ]);
  });

  test('outbound: virtualOutbound, the HTTP route listener and the TCP VIP listener; --type filters', () => {
    const table = lines(renderListeners(listenersOf(dump)));
    assert.ok(table.includes('0.0.0.0 9080 ALL Route: 9080'));
    assert.ok(table.includes('10.8.0.30 3306 ALL Cluster: outbound|3306||mysqldb.default.svc.cluster.local'));
    assert.ok(table.includes('0.0.0.0 15001 ALL PassthroughCluster'));
    assert.deepEqual(lines(renderListeners(listenersOf(dump), { type: 'tcp', port: 3306 })).length, 2);
  });
});

describe('proxy-config route', () => {
  test('virtual hosts with summarised domains, matches and the VirtualService', () => {
    const table = lines(renderRoutes(routesOf(dump), { name: '9080' }));
    assert.equal(table[0], 'NAME VHOST NAME DOMAINS MATCH VIRTUAL SERVICE');
    assert.ok(table.includes('9080 ratings.default.svc.cluster.local:9080 ratings, ratings.default.svc + 1 more... /* (+headers), /* ratings.default'), table.join('\n'));
    assert.ok(table.includes('9080 reviews.default.svc.cluster.local:9080 reviews, reviews.default.svc + 1 more... /*'));
    assert.ok(table.includes('9080 allow_any * /*'));
  });

  test('domain summaries', () => {
    assert.equal(describeDomains(['*']), '*');
    assert.equal(describeDomains(['a.ns.svc.cluster.local', 'a.ns.svc.cluster.local:80', 'a', 'a:80', '10.0.0.1', '10.0.0.1:80']), 'a');
    assert.equal(describeDomains(['example.com', 'example.com:443']), 'example.com');
  });
});

describe('proxy-config cluster', () => {
  test("Istio's columns: FQDN, port, subset, direction, type, destination rule", () => {
    const table = lines(renderClusters(clustersOf(dump)));
    assert.equal(table[0], 'SERVICE FQDN PORT SUBSET DIRECTION TYPE DESTINATION RULE');
    assert.ok(table.includes('ratings.default.svc.cluster.local 9080 - outbound EDS ratings.default'));
    assert.ok(table.includes('ratings.default.svc.cluster.local 9080 v1 outbound EDS ratings.default'));
    // Inbound clusters have no FQDN: the first column is empty, as istioctl prints it.
    assert.ok(table.includes(' 9080 - inbound ORIGINAL_DST'), table.join('\n'));
    assert.ok(table.includes('BlackHoleCluster - - - STATIC'));
    assert.ok(table.includes('PassthroughCluster - - - ORIGINAL_DST'));
  });

  test('filters: --fqdn, --port, --subset, --direction', () => {
    assert.equal(lines(renderClusters(clustersOf(dump), { fqdn: 'ratings.default.svc.cluster.local', subset: 'v1' })).length, 2);
    assert.equal(lines(renderClusters(clustersOf(dump), { direction: 'inbound' })).length, 2);
    assert.equal(lines(renderClusters(clustersOf(dump), { port: 3306 })).length, 2);
  });
});

describe('proxy-config endpoint', () => {
  test('from /clusters?format=json: endpoint, status, outlier check, cluster', () => {
    const statuses = {
      cluster_statuses: [
        { name: 'outbound|9080||ratings.default.svc.cluster.local', added_via_api: true, host_statuses: [{ address: { socket_address: { address: '10.4.1.12', port_value: 9080 } }, health_status: { eds_health_status: 'HEALTHY' }, weight: 1 }] },
        { name: 'outbound|9080||reviews.default.svc.cluster.local', added_via_api: true, host_statuses: [
          { address: { socket_address: { address: '10.4.1.7', port_value: 9080 } }, health_status: { eds_health_status: 'UNHEALTHY' } },
          { address: { socket_address: { address: '10.4.1.5', port_value: 9080 } }, health_status: { eds_health_status: 'HEALTHY', failed_outlier_check: true } },
        ] },
      ],
    };
    assert.deepEqual(lines(renderEndpoints(statuses)), [
      'ENDPOINT STATUS OUTLIER CHECK CLUSTER',
      '10.4.1.5:9080 HEALTHY FAILED outbound|9080||reviews.default.svc.cluster.local',
      '10.4.1.7:9080 UNHEALTHY OK outbound|9080||reviews.default.svc.cluster.local',
      '10.4.1.12:9080 HEALTHY OK outbound|9080||ratings.default.svc.cluster.local',
    ]);
    assert.equal(lines(renderEndpoints(statuses, { status: 'unhealthy' })).length, 2);
  });
});

describe('-o json', () => {
  test('camelCase as istioctl prints, map keys left alone', () => {
    const inbound = clustersOf(dump).find((c) => c['name'] === 'inbound|9080||')!;
    const json = toCamel(inbound) as Obj;
    assert.deepEqual(json['upstreamBindConfig'], { sourceAddress: { address: '127.0.0.6', portValue: 0 } });
    assert.ok(json['metadata']['filterMetadata']['istio']);
  });
});
