// The contract between the control plane and the data plane: everything discovery
// generates for the seeds' Bookinfo (with routing and traffic policies) passes
// through Envoy's protos and is accepted by the proxy's strict decoder. Features the
// proxy does not have yet are refused by name, never silently dropped.
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
import { decodeResourceJson } from '../../src/proxy/index.js';
import type { Cluster as ClusterConfig, ClusterLoadAssignment, Listener as ListenerConfig } from '../../src/proxy/index.js';
import { createCluster } from '../../src/proxy/upstream/cluster.js';
import type { Cluster } from '../../src/proxy/upstream/cluster.js';
import { ClusterManager } from '../../src/proxy/upstream/cluster-manager.js';
import { RouteConfigProviders } from '../../src/proxy/http/route-config-provider.js';
import { ListenerRuntime } from '../../src/proxy/listener.js';
import { StatsStore } from '../../src/proxy/stats.js';
import { seededRandom } from '../../src/proxy/load-balancers/index.js';

type Obj = Record<string, unknown>;
const here = path.dirname(fileURLToPath(import.meta.url));
const bookinfo = parseAllDocuments(readFileSync(path.join(here, 'fixtures', 'bookinfo.yaml'), 'utf8')).map((d) => d.toJS() as Obj);
const yaml = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as Obj);
const proxy = parseNodeId('sidecar~10.4.1.5~reviews-v1-545db77b95-jkgv2.default~default.svc.cluster.local');

/**
 * Every resource discovery generates for the proxy, decoded as the xDS client decodes it and then
 * built as the data plane builds it: decoding only checks fields, while building (a cluster's load
 * balancer, a listener's filters, a route configuration's per-filter configs, endpoints applied to
 * their EDS cluster) is where the rest of the refusals happen.
 */
function problems(extra: Obj[], forProxy = proxy): string[] {
  const r = generateForProxy(buildModel([...bookinfo, ...extra]), forProxy);
  const found: string[] = [];
  const attempt = (what: () => void) => {
    try {
      what();
    } catch (error) {
      found.push((error as Error).message);
    }
  };
  const decode = <T>(type: string, resource: Obj): T => decodeResourceJson(type, unpackAny(packAny(type, resource))) as T;
  const context = { stats: new StatsStore(), random: seededRandom(1) };
  const built: Cluster[] = [];
  const byServiceName = new Map<string, Cluster>();
  // Endpoints for a cluster that was refused are not reported again.
  const refused = new Set<string>();
  for (const resource of r.clusters) {
    const name = String((resource as Obj)['name']);
    attempt(() => {
      try {
        const config = decode<ClusterConfig>(TypeUrl.Cluster, resource);
        const cluster = createCluster(config, context, `Cluster("${config.name}")`, true);
        built.push(cluster);
        byServiceName.set(config.eds_cluster_config?.service_name || config.name, cluster);
      } catch (error) {
        refused.add(name);
        throw error;
      }
    });
  }
  for (const resource of r.endpoints) {
    attempt(() => {
      const cla = decode<ClusterLoadAssignment>(TypeUrl.ClusterLoadAssignment, resource);
      if (refused.has(cla.cluster_name)) return;
      const cluster = byServiceName.get(cla.cluster_name);
      if (!cluster) throw new Error(`ClusterLoadAssignment("${cla.cluster_name}") names no generated cluster`);
      cluster.updateLoadAssignment(cla);
    });
  }
  const routeConfigs = new RouteConfigProviders();
  // A route configuration is compiled when it arrives (per-filter configs, mirror policies): that can refuse it too.
  for (const resource of r.routes) attempt(() => routeConfigs.update(decode(TypeUrl.RouteConfiguration, resource), '1'));
  const listenerContext = { clusterManager: new ClusterManager(context), stats: context.stats, random: context.random, routeConfigs };
  for (const resource of r.listeners) {
    attempt(() => {
      const config = decode<ListenerConfig>(TypeUrl.Listener, resource);
      new ListenerRuntime(config, listenerContext, `Listener("${config.name}")`, true).close();
    });
  }
  for (const cluster of built) cluster.release();
  return found;
}

describe('what discovery generates, the proxy accepts', () => {
  test('Bookinfo with routing and traffic policies the proxy implements', () => {
    assert.deepEqual(problems(yaml(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  trafficPolicy:
    loadBalancer: {consistentHash: {httpHeaderName: x-user}}
    connectionPool: {tcp: {maxConnections: 10, connectTimeout: 2s}, http: {http1MaxPendingRequests: 5, http2MaxRequests: 20, maxRetries: 2}}
    outlierDetection: {consecutive5xxErrors: 3, consecutiveGatewayErrors: 2, interval: 5s, baseEjectionTime: 30s, maxEjectionPercent: 50}
  subsets: [{name: v1, labels: {version: v1}}, {name: v3, labels: {version: v3}, trafficPolicy: {loadBalancer: {simple: RANDOM}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {end-user: {exact: jason}}, uri: {regex: "/r.*"}, method: {exact: GET}, queryParams: {a: {exact: b}}}]
    route: [{destination: {host: reviews, subset: v3}}]
    timeout: 2s
    retries: {attempts: 3, perTryTimeout: 1s, retryOn: "5xx,503"}
    headers: {request: {set: {x-a: b}, remove: [x-b]}, response: {add: {x-c: d}}}
  - match: [{uri: {prefix: /old}}]
    redirect: {uri: /new, redirectCode: 302}
  - match: [{uri: {prefix: /gone}}]
    directResponse: {status: 410, body: {string: gone}}
  - route: [{destination: {host: reviews, subset: v1}, weight: 90}, {destination: {host: reviews, subset: v3}, weight: 10}]
    rewrite: {uri: /v1/, authority: reviews.internal}
`)), []);
  });

  test('fault injection (abort and delay, per route) and mirroring, as discovery generates them', () => {
    assert.deepEqual(problems(yaml(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings, namespace: default}
spec:
  hosts: [ratings]
  http:
  - match: [{headers: {end-user: {exact: jason}}}]
    fault: {delay: {fixedDelay: 2s, percentage: {value: 50}}, abort: {httpStatus: 500, percentage: {value: 10}}}
    route: [{destination: {host: ratings}}]
  - route: [{destination: {host: ratings}}]
    mirror: {host: reviews}
    mirrorPercentage: {value: 25.5}
`)), []);
  });

  test('per-connection request limits and idle timeouts from a DestinationRule', () => {
    assert.deepEqual(problems(yaml(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: productpage, namespace: default}
spec:
  host: productpage
  trafficPolicy: {connectionPool: {http: {maxRequestsPerConnection: 5, idleTimeout: 30s}}}
`)), []);
  });

  test('consistent hashing with Maglev, with and without a table size', () => {
    assert.deepEqual(problems(yaml(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user, maglev: {tableSize: 1021}}}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings, namespace: default}
spec:
  host: ratings
  trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true, maglev: {}}}}
`)), []);
  });

  test('a gRPC status abort, and a fault given with the older integer percent', () => {
    assert.deepEqual(problems(yaml(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings, namespace: default}
spec:
  hosts: [ratings]
  http:
  - match: [{headers: {end-user: {exact: jason}}}]
    fault: {abort: {grpcStatus: UNAVAILABLE, percentage: {value: 100}}}
    route: [{destination: {host: ratings}}]
  - fault: {delay: {fixedDelay: 100ms, percent: 5}}
    route: [{destination: {host: ratings}}]
`)), []);
  });

  test("durations written the Go way ('100ms', '1m30s'), as Istio reads them, reach the proxy as Envoy's seconds", () => {
    const extra = yaml(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings, namespace: default}
spec:
  hosts: [ratings]
  http:
  - timeout: 100ms
    retries: {attempts: 2, perTryTimeout: 250ms}
    route: [{destination: {host: ratings}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings, namespace: default}
spec:
  host: ratings
  trafficPolicy:
    connectionPool: {tcp: {connectTimeout: 500ms}, http: {idleTimeout: 1m}}
    outlierDetection: {consecutive5xxErrors: 3, interval: 1m30s, baseEjectionTime: 30s}
`);
    assert.deepEqual(problems(extra), []);
    const r = generateForProxy(buildModel([...bookinfo, ...extra]), proxy);
    const text = JSON.stringify([r.routes, r.clusters]);
    for (const expected of ['"timeout":"0.100s"', '"perTryTimeout":"0.250s"', '"connectTimeout":"0.500s"', '"idleTimeout":"60s"', '"interval":"90s"', '"baseEjectionTime":"30s"']) assert.ok(text.includes(expected), expected);
  });

  test('a dual-stack proxy\'s listeners (additional_addresses "::") and inbound clusters (extra_source_addresses ::6)', () => {
    const dual = parseNodeId('sidecar~10.4.1.5~reviews-v1-545db77b95-jkgv2.default~default.svc.cluster.local', { INSTANCE_IPS: '10.4.1.5,fd00:4:1::5' });
    assert.deepEqual(problems([], dual), []);
  });

  test('what the proxy refuses when it builds a resource (not only when it decodes one) is reported', () => {
    // Istio's validation would refuse this table size; were it to get through, the proxy says so.
    const found = problems(yaml(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user, maglev: {tableSize: 1000}}}}
`));
    assert.ok(found.length > 0 && found.every((m) => /maglev_lb_config\.table_size: 1000 is not a prime/.test(m)), found.join('\n'));
  });
});
