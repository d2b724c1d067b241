// Per-proxy generation, table by table, on the seeds' Bookinfo example.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { buildModel } from '../../src/discovery/model.js';
import { parseNodeId, ProxyIdError } from '../../src/discovery/proxy.js';
import { generateForProxy } from '../../src/discovery/generate/index.js';
import { portProtocol } from '../../src/discovery/protocol.js';

type Obj = Record<string, any>;
const here = path.dirname(fileURLToPath(import.meta.url));
const bookinfo = parseAllDocuments(readFileSync(path.join(here, 'fixtures', 'bookinfo.yaml'), 'utf8')).map((d) => d.toJS() as Obj);
const reviewsProxy = parseNodeId('sidecar~10.4.1.5~reviews-v1-545db77b95-jkgv2.default~default.svc.cluster.local');
const generate = (extra: Obj[] = [], proxy = reviewsProxy) => generateForProxy(buildModel([...bookinfo, ...extra]), proxy);
const byName = (list: Obj[], name: string) => list.find((r) => (r['name'] ?? r['clusterName']) === name);
const yaml = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as Obj);

describe('node ids', () => {
  test("Istio's node id", () => {
    const p = parseNodeId('sidecar~10.4.1.5~reviews-v1-545db77b95-jkgv2.default~default.svc.cluster.local');
    assert.deepEqual([p.type, p.ipAddresses, p.podName, p.namespace, p.dnsDomain], ['sidecar', ['10.4.1.5'], 'reviews-v1-545db77b95-jkgv2', 'default', 'default.svc.cluster.local']);
    assert.throws(() => parseNodeId('sidecar~10.0.0.1'), (e: Error) => e instanceof ProxyIdError && /expected type~ip~id~domain/.test(e.message));
    assert.throws(() => parseNodeId('gateway~1.2.3.4~a.b~b.svc'), /unknown proxy type "gateway"/);
  });
});

describe('protocol selection', () => {
  const cases: [Obj, string | undefined][] = [
    [{ name: 'http' }, 'HTTP'], [{ name: 'http-web' }, 'HTTP'], [{ name: 'grpc' }, 'GRPC'], [{ name: 'grpc-web' }, 'GRPC-Web'], [{ name: 'http2-api' }, 'HTTP2'],
    [{ name: 'tcp-mysql' }, 'TCP'], [{ name: 'mysql' }, 'MySQL'], [{ name: 'web' }, undefined], [{}, undefined],
    [{ name: 'tcp', appProtocol: 'http' }, 'HTTP'], [{ name: 'x', appProtocol: 'kubernetes.io/h2c' }, 'HTTP2'], [{ name: 'dns', protocol: 'UDP' }, 'UDP'],
  ];
  for (const [port, expected] of cases) test(JSON.stringify(port), () => assert.equal(portProtocol(port), expected));
});

describe('clusters (the seeds\' reviews pod)', () => {
  const { clusters } = generate();
  test("Istio's names: outbound per service port, inbound for its own port, the special ones", () => {
    const names = clusters.map((c) => c['name']);
    for (const name of ['outbound|9080||ratings.default.svc.cluster.local', 'outbound|9080||reviews.default.svc.cluster.local', 'outbound|3306||mysqldb.default.svc.cluster.local', 'inbound|9080||', 'PassthroughCluster', 'BlackHoleCluster', 'InboundPassthroughClusterIpv4', 'InboundPassthroughClusterIpv6']) {
      assert.ok(names.includes(name), name);
    }
  });

  test('the inbound cluster is ORIGINAL_DST bound to 127.0.0.6, as in the seed', () => {
    assert.deepEqual(byName(clusters, 'inbound|9080||'), {
      name: 'inbound|9080||', type: 'ORIGINAL_DST', connectTimeout: '10s', lbPolicy: 'CLUSTER_PROVIDED',
      circuitBreakers: { thresholds: [{ maxConnections: 4294967295, maxPendingRequests: 4294967295, maxRequests: 4294967295, maxRetries: 4294967295, trackRemaining: true }] },
      cleanupInterval: '60s', upstreamBindConfig: { sourceAddress: { address: '127.0.0.6', portValue: 0 } },
      metadata: { filterMetadata: { istio: { services: [{ host: 'reviews.default.svc.cluster.local', name: 'reviews', namespace: 'default' }] } } },
    });
  });

  test('outbound clusters are EDS over ADS with least-request balancing', () => {
    const ratings = byName(clusters, 'outbound|9080||ratings.default.svc.cluster.local')!;
    assert.equal(ratings['type'], 'EDS');
    assert.deepEqual(ratings['edsClusterConfig'], { edsConfig: { ads: {}, initialFetchTimeout: '0s', resourceApiVersion: 'V3' }, serviceName: 'outbound|9080||ratings.default.svc.cluster.local' });
    assert.equal(ratings['lbPolicy'], 'LEAST_REQUEST');
  });
});

describe('endpoints', () => {
  test("ratings' endpoint with health and locality, as in the seed", () => {
    const { endpoints } = generate();
    const cla = byName(endpoints, 'outbound|9080||ratings.default.svc.cluster.local')!;
    assert.equal(cla['endpoints'].length, 1);
    assert.deepEqual(cla['endpoints'][0]['locality'], { region: 'us-west2', zone: 'us-west2-a' });
    const lb = cla['endpoints'][0]['lbEndpoints'][0];
    assert.deepEqual(lb['endpoint'], { address: { socketAddress: { address: '10.4.1.12', portValue: 9080 } } });
    assert.equal(lb['healthStatus'], 'HEALTHY');
  });

  test('a pod whose Ready condition is False is UNHEALTHY', () => {
    const { endpoints } = generate();
    const reviews = byName(endpoints, 'outbound|9080||reviews.default.svc.cluster.local')!;
    const health = Object.fromEntries(reviews['endpoints'].flatMap((g: Obj) => g['lbEndpoints']).map((e: Obj) => [e['endpoint']['address']['socketAddress']['address'], e['healthStatus']]));
    assert.deepEqual(health, { '10.4.1.5': 'HEALTHY', '10.4.1.6': 'HEALTHY', '10.4.1.7': 'UNHEALTHY' });
  });
});

describe('routes', () => {
  const { routes } = generate();
  const route = byName(routes, '9080')!;
  test('route "9080" has a virtual host per service with the seed\'s domain list', () => {
    const vh = route['virtualHosts'].find((v: Obj) => v['name'] === 'ratings.default.svc.cluster.local:9080');
    assert.deepEqual(vh['domains'], ['ratings.default.svc.cluster.local', 'ratings.default.svc.cluster.local:9080', 'ratings', 'ratings:9080', 'ratings.default.svc', 'ratings.default.svc:9080', 'ratings.default', 'ratings.default:9080', '10.8.8.106', '10.8.8.106:9080']);
    assert.deepEqual(vh['routes'][0], {
      name: 'default', match: { prefix: '/' },
      route: {
        cluster: 'outbound|9080||ratings.default.svc.cluster.local', timeout: '0s',
        retryPolicy: { retryOn: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes', numRetries: 2, retryHostPredicate: [{ name: 'envoy.retry_host_predicates.previous_hosts', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate' } }], hostSelectionRetryMaxAttempts: '5', retriableStatusCodes: [503] },
        maxStreamDuration: { maxStreamDuration: '0s', grpcTimeoutHeaderMax: '0s' },
      },
      decorator: { operation: 'ratings.default.svc.cluster.local:9080/*' },
    });
    assert.equal(vh['includeRequestAttemptCount'], true);
    assert.equal(route['validateClusters'], false);
  });

  test('a proxy in another namespace does not get the bare short name', () => {
    const other = parseNodeId('sidecar~10.9.9.9~client.other~other.svc.cluster.local');
    const vh = byName(generate([], other).routes, '9080')!['virtualHosts'].find((v: Obj) => v['name'] === 'ratings.default.svc.cluster.local:9080');
    assert.ok(!vh['domains'].includes('ratings'));
    assert.ok(vh['domains'].includes('ratings.default'));
  });

  test('the allow_any virtual host sends unknown hosts to PassthroughCluster', () => {
    const last = route['virtualHosts'].at(-1);
    assert.equal(last['name'], 'allow_any');
    assert.equal(last['routes'][0]['route']['cluster'], 'PassthroughCluster');
  });
});

describe('listeners', () => {
  const { listeners } = generate();
  test('virtualOutbound on 15001 hands off by original destination; unknown traffic passes through', () => {
    const vo = byName(listeners, 'virtualOutbound')!;
    assert.deepEqual(vo['address'], { socketAddress: { address: '0.0.0.0', portValue: 15001 } });
    assert.equal(vo['useOriginalDst'], true);
    assert.equal(vo['defaultFilterChain']['filters'][0]['typedConfig']['cluster'], 'PassthroughCluster');
    assert.equal(vo['trafficDirection'], 'OUTBOUND');
  });

  test('0.0.0.0_9080 routes HTTP through RDS "9080"; the TCP service has a VIP listener', () => {
    const http = byName(listeners, '0.0.0.0_9080')!;
    assert.equal(http['bindToPort'], false);
    const hcm = http['filterChains'][0]['filters'][0];
    assert.equal(hcm['name'], 'envoy.filters.network.http_connection_manager');
    assert.equal(hcm['typedConfig']['rds']['routeConfigName'], '9080');
    assert.equal(hcm['typedConfig']['statPrefix'], 'outbound_0.0.0.0_9080');
    // As Istio: WebSocket upgrades allowed on every sidecar connection manager.
    assert.deepEqual(hcm['typedConfig']['upgradeConfigs'], [{ upgradeType: 'websocket' }]);
    const tcp = byName(listeners, '10.8.0.30_3306')!;
    assert.equal(tcp['filterChains'][0]['filters'][0]['typedConfig']['cluster'], 'outbound|3306||mysqldb.default.svc.cluster.local');
  });

  test('virtualInbound on 15006: a chain for 9080 to inbound|9080||, passthrough to InboundPassthroughClusterIpv4', () => {
    const vi = byName(listeners, 'virtualInbound')!;
    assert.equal(vi['trafficDirection'], 'INBOUND');
    const chain = vi['filterChains'].find((c: Obj) => c['filterChainMatch']?.['destinationPort'] === 9080);
    assert.deepEqual(chain['filterChainMatch'], { destinationPort: 9080, transportProtocol: 'raw_buffer' });
    const hcm = chain['filters'][0]['typedConfig'];
    assert.equal(hcm['statPrefix'], 'inbound_0.0.0.0_9080');
    assert.deepEqual(hcm['upgradeConfigs'], [{ upgradeType: 'websocket' }]);
    assert.equal(hcm['routeConfig']['name'], 'inbound|9080||');
    assert.equal(hcm['routeConfig']['virtualHosts'][0]['name'], 'inbound|http|9080');
    assert.equal(hcm['routeConfig']['virtualHosts'][0]['routes'][0]['route']['cluster'], 'inbound|9080||');
    assert.equal(vi['filterChains'].at(-2)['filters'][0]['typedConfig']['cluster'], 'InboundPassthroughClusterIpv4');
    assert.deepEqual(vi['listenerFilters'].map((f: Obj) => f['name']), ['envoy.filters.listener.original_dst', 'envoy.filters.listener.tls_inspector', 'envoy.filters.listener.http_inspector']);
  });

  test('a port with no declared protocol is sniffed: http_inspector, HTTP chain, TCP fallback', () => {
    const { listeners: sniffed } = generate(yaml('apiVersion: v1\nkind: Service\nmetadata: {name: legacy, namespace: default}\nspec: {clusterIP: 10.8.0.40, ports: [{port: 8000}]}\n'));
    const l = byName(sniffed, '0.0.0.0_8000')!;
    assert.equal(l['listenerFilters'][0]['name'], 'envoy.filters.listener.http_inspector');
    assert.deepEqual(l['filterChains'][0]['filterChainMatch'], { applicationProtocols: ['http/1.0', 'http/1.1', 'h2c'] });
    assert.equal(l['filterChains'][1]['filters'][0]['typedConfig']['cluster'], 'outbound|8000||legacy.default.svc.cluster.local');
  });
});

describe('VirtualService and DestinationRule', () => {
  const routing = yaml(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
    connectionPool:
      tcp: {maxConnections: 100, connectTimeout: 2s}
      http: {http1MaxPendingRequests: 10, http2MaxRequests: 50, maxRetries: 3}
    outlierDetection: {consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s, maxEjectionPercent: 50}
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v3
    labels: {version: v3}
    trafficPolicy:
      loadBalancer: {simple: RANDOM}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - name: jason
    match:
    - headers:
        end-user: {exact: jason}
      uri: {prefix: /reviews}
    fault:
      abort: {httpStatus: 500, percentage: {value: 10}}
    route:
    - destination: {host: reviews, subset: v3}
    timeout: 2s
    retries: {attempts: 3, perTryTimeout: 1s, retryOn: "5xx,gateway-error,503"}
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 80
    - destination: {host: reviews, subset: v3}
      weight: 20
    rewrite: {uri: /v1/}
    headers:
      request:
        set: {x-version: split}
        remove: [x-debug]
`);
  const { clusters, routes, endpoints, listeners } = generate(routing);

  test('subsets become clusters with their own endpoints', () => {
    assert.ok(byName(clusters, 'outbound|9080|v1|reviews.default.svc.cluster.local'));
    const v1 = byName(endpoints, 'outbound|9080|v1|reviews.default.svc.cluster.local')!;
    assert.deepEqual(v1['endpoints'].flatMap((g: Obj) => g['lbEndpoints']).map((e: Obj) => e['endpoint']['address']['socketAddress']['address']), ['10.4.1.5']);
  });

  test('traffic policy: load balancer, circuit breakers, outlier detection; a subset policy overrides', () => {
    const base = byName(clusters, 'outbound|9080||reviews.default.svc.cluster.local')!;
    assert.equal(base['lbPolicy'], 'ROUND_ROBIN');
    assert.equal(base['connectTimeout'], '2s');
    assert.deepEqual(base['circuitBreakers']['thresholds'][0], { maxConnections: 100, maxPendingRequests: 10, maxRequests: 50, maxRetries: 3, trackRemaining: true });
    assert.deepEqual(base['outlierDetection'], { consecutive5xx: 5, enforcingConsecutive5xx: 100, enforcingConsecutiveGatewayFailure: 0, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 50, enforcingSuccessRate: 0 });
    assert.equal(byName(clusters, 'outbound|9080|v3|reviews.default.svc.cluster.local')!['lbPolicy'], 'RANDOM');
    assert.equal(byName(clusters, 'outbound|9080|v1|reviews.default.svc.cluster.local')!['lbPolicy'], 'ROUND_ROBIN');
  });

  test('routes: matches, fault, timeout, retries; then a weighted split with a rewrite and header changes', () => {
    const vh = byName(routes, '9080')!['virtualHosts'].find((v: Obj) => v['name'] === 'reviews.default.svc.cluster.local:9080');
    const [jason, split] = vh['routes'];
    assert.equal(jason['name'], 'jason');
    assert.deepEqual(jason['match'], { prefix: '/reviews', headers: [{ name: 'end-user', stringMatch: { exact: 'jason' } }] });
    assert.equal(jason['route']['cluster'], 'outbound|9080|v3|reviews.default.svc.cluster.local');
    assert.equal(jason['route']['timeout'], '2s');
    assert.equal(jason['route']['retryPolicy']['numRetries'], 3);
    assert.equal(jason['route']['retryPolicy']['perTryTimeout'], '1s');
    assert.equal(jason['route']['retryPolicy']['retryOn'], '5xx,gateway-error,retriable-status-codes');
    assert.deepEqual(jason['route']['retryPolicy']['retriableStatusCodes'], [503]);
    assert.deepEqual(jason['typedPerFilterConfig']['envoy.filters.http.fault']['abort'], { httpStatus: 500, percentage: { numerator: 100000, denominator: 'MILLION' } });
    assert.deepEqual(split['route']['weightedClusters'], { clusters: [{ name: 'outbound|9080|v1|reviews.default.svc.cluster.local', weight: 80 }, { name: 'outbound|9080|v3|reviews.default.svc.cluster.local', weight: 20 }] });
    assert.equal(split['route']['prefixRewrite'], '/v1/');
    assert.deepEqual(split['requestHeadersToAdd'], [{ header: { key: 'x-version', value: 'split' }, appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' }]);
    assert.deepEqual(split['requestHeadersToRemove'], ['x-debug']);
    const hcm = byName(listeners, '0.0.0.0_9080')!['filterChains'][0]['filters'][0]['typedConfig'];
    assert.deepEqual(hcm['httpFilters'].map((f: Obj) => f['name']), ['envoy.filters.http.fault', 'envoy.filters.http.router']);
  });

  test('TCP routes split a TCP service by weight', () => {
    const tcp = yaml(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: db, namespace: default}
spec:
  hosts: [mysqldb]
  tcp:
  - route:
    - destination: {host: mysqldb, subset: a}
      weight: 90
    - destination: {host: mysqldb, subset: b}
      weight: 10
`);
    const l = byName(generate(tcp).listeners, '10.8.0.30_3306')!;
    assert.deepEqual(l['filterChains'][0]['filters'][0]['typedConfig']['weightedClusters'], { clusters: [{ name: 'outbound|3306|a|mysqldb.default.svc.cluster.local', weight: 90 }, { name: 'outbound|3306|b|mysqldb.default.svc.cluster.local', weight: 10 }] });
  });

  test('REGISTRY_ONLY sends unknown destinations to BlackHoleCluster', () => {
    const model = buildModel(bookinfo);
    const { listeners: blocked, routes: blockedRoutes } = generateForProxy(model, reviewsProxy, { connectTimeout: '10s', outboundTrafficPolicy: 'REGISTRY_ONLY', rootNamespace: 'istio-system' });
    assert.equal(byName(blocked, 'virtualOutbound')!['defaultFilterChain']['filters'][0]['typedConfig']['cluster'], 'BlackHoleCluster');
    assert.equal(byName(blockedRoutes, '9080')!['virtualHosts'].at(-1)['name'], 'block_all');
  });
});
