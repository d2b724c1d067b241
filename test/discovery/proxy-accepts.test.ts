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
import { compileRouteConfig } from '../../src/proxy/http/route-config.js';

type Obj = Record<string, unknown>;
const here = path.dirname(fileURLToPath(import.meta.url));
const bookinfo = parseAllDocuments(readFileSync(path.join(here, 'fixtures', 'bookinfo.yaml'), 'utf8')).map((d) => d.toJS() as Obj);
const yaml = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as Obj);
const proxy = parseNodeId('sidecar~10.4.1.5~reviews-v1-545db77b95-jkgv2.default~default.svc.cluster.local');

function problems(extra: Obj[]): string[] {
  const r = generateForProxy(buildModel([...bookinfo, ...extra]), proxy);
  const found: string[] = [];
  for (const [type, list] of [[TypeUrl.Listener, r.listeners], [TypeUrl.Cluster, r.clusters], [TypeUrl.RouteConfiguration, r.routes], [TypeUrl.ClusterLoadAssignment, r.endpoints]] as const) {
    for (const resource of list) {
      try {
        const decoded = decodeResourceJson(type, unpackAny(packAny(type, resource)));
        // A route configuration is compiled when it arrives (per-filter configs, mirror policies): that can refuse it too.
        if (type === TypeUrl.RouteConfiguration) compileRouteConfig(decoded as never, 'RouteConfiguration');
      } catch (error) {
        found.push((error as Error).message);
      }
    }
  }
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
});
