import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rewriteAppProbes } from '../../src/inject/probes.js';
import { applyPrometheusMerge } from '../../src/inject/prometheus.js';
import { injectionStatus, stripInjected } from '../../src/inject/status.js';
import { reorderContainers } from '../../src/inject/reorder.js';
import type { JsonObject } from '../../src/inject/mesh.js';

const app: JsonObject = {
  name: 'app',
  ports: [{ name: 'http', containerPort: 8080 }],
  readinessProbe: { httpGet: { path: '/ready', port: 'http', scheme: 'HTTPS' }, periodSeconds: 5, timeoutSeconds: 3 },
  livenessProbe: { tcpSocket: { port: 8080 }, initialDelaySeconds: 10 },
  startupProbe: { grpc: { port: 9090 } },
  lifecycle: { preStop: { httpGet: { path: '/shutdown', port: 8080 } }, postStart: { exec: { command: ['true'] } } },
};
const proxy: JsonObject = { name: 'istio-proxy', readinessProbe: { httpGet: { path: '/healthz/ready', port: 15021 } } };

describe('probe rewriting', () => {
  const { containers, probers } = rewriteAppProbes([app, proxy], 15020);
  const [rewritten, proxyAfter] = containers as [JsonObject, JsonObject];

  test('httpGet probes go to the status port; HTTPS becomes HTTP; other probe fields stay', () => {
    assert.deepEqual(rewritten['readinessProbe'], { httpGet: { path: '/app-health/app/readyz', port: 15020, scheme: 'HTTP' }, periodSeconds: 5, timeoutSeconds: 3 });
  });

  test('tcpSocket and grpc probes become httpGet probes on the status port', () => {
    assert.deepEqual(rewritten['livenessProbe'], { httpGet: { path: '/app-health/app/livez', port: 15020 }, initialDelaySeconds: 10 });
    assert.deepEqual(rewritten['startupProbe'], { httpGet: { path: '/app-health/app/startupz', port: 15020 } });
  });

  test('httpGet lifecycle hooks are rewritten; exec hooks are not', () => {
    assert.deepEqual(rewritten['lifecycle'], { preStop: { httpGet: { path: '/app-lifecycle/app/prestop', port: 15020 } }, postStart: { exec: { command: ['true'] } } });
  });

  test("the originals, named ports resolved, keyed by path in sorted order; the proxy's probes are untouched", () => {
    assert.deepEqual(Object.keys(probers), ['/app-health/app/livez', '/app-health/app/readyz', '/app-health/app/startupz', '/app-lifecycle/app/prestop']);
    assert.deepEqual(probers['/app-health/app/readyz'], { httpGet: { path: '/ready', port: 8080, scheme: 'HTTPS' }, timeoutSeconds: 3 });
    assert.deepEqual(probers['/app-health/app/livez'], { tcpSocket: { port: 8080 } });
    assert.deepEqual(probers['/app-health/app/startupz'], { grpc: { port: 9090 } });
    assert.deepEqual(proxyAfter, proxy);
  });
});

describe('Prometheus merge', () => {
  const containers = [app, { name: 'istio-proxy', env: [{ name: 'A', value: '1' }] }];

  test("the app's scrape settings move to the proxy; the annotations point at the agent", () => {
    const result = applyPrometheusMerge({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090', 'prometheus.io/path': '/metrics', other: 'x' }, containers, 15020, true);
    assert.deepEqual(result.annotations, { other: 'x', 'prometheus.io/port': '15020', 'prometheus.io/path': '/stats/prometheus', 'prometheus.io/scrape': 'true' });
    assert.deepEqual((result.containers[1] as JsonObject)['env'], [{ name: 'A', value: '1' }, { name: 'ISTIO_PROMETHEUS_ANNOTATIONS', value: '{"scrape":"true","path":"/metrics","port":"9090"}' }]);
  });

  test('no scrape annotations: the agent is still announced, nothing recorded', () => {
    const result = applyPrometheusMerge({}, containers, 15020, true);
    assert.equal(result.annotations['prometheus.io/port'], '15020');
    assert.deepEqual((result.containers[1] as JsonObject)['env'], [{ name: 'A', value: '1' }]);
  });

  test('scrape "false", merge-metrics "false", or merging off in the mesh: unchanged', () => {
    assert.deepEqual(applyPrometheusMerge({ 'prometheus.io/scrape': 'false' }, containers, 15020, true).annotations, { 'prometheus.io/scrape': 'false' });
    assert.deepEqual(applyPrometheusMerge({ 'prometheus.istio.io/merge-metrics': 'false' }, containers, 15020, true).annotations, { 'prometheus.istio.io/merge-metrics': 'false' });
    assert.deepEqual(applyPrometheusMerge({}, containers, 15020, false).annotations, {});
  });
});

describe('status and re-injection', () => {
  test("the status lists what the template added; empty lists are null, as Go's encoder writes them", () => {
    const status = injectionStatus({ initContainers: [{ name: 'istio-init' }], containers: [{ name: 'istio-proxy' }], volumes: [{ name: 'istio-envoy' }, { name: 'istio-data' }] }, '');
    assert.equal(status, '{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["istio-envoy","istio-data"],"imagePullSecrets":null,"revision":"default"}');
  });

  test('stripping removes the listed containers and restores rewritten probes and scrape annotations', () => {
    const { containers, probers } = rewriteAppProbes([app], 15020);
    const injectedProxy = { name: 'istio-proxy', env: [{ name: 'ISTIO_KUBE_APP_PROBERS', value: JSON.stringify(probers) }, { name: 'ISTIO_PROMETHEUS_ANNOTATIONS', value: '{"scrape":"true","port":"9090"}' }] };
    const meta = { name: 'p', annotations: { 'sidecar.istio.io/status': injectionStatus({ initContainers: [{ name: 'istio-init' }], containers: [{ name: 'istio-proxy' }] }, ''), 'prometheus.io/port': '15020', 'prometheus.io/path': '/stats/prometheus', 'prometheus.io/scrape': 'true', keep: 'me' } };
    const spec = { initContainers: [{ name: 'istio-init' }, { name: 'user-init' }], containers: [...containers, injectedProxy] };
    const stripped = stripInjected(meta, spec);
    assert.deepEqual(stripped.spec['initContainers'], [{ name: 'user-init' }]);
    assert.deepEqual((stripped.spec['containers'] as JsonObject[]).map((c) => c['name']), ['app']);
    const restored = (stripped.spec['containers'] as JsonObject[])[0]!;
    assert.deepEqual(restored['readinessProbe'], { httpGet: { path: '/ready', port: 8080, scheme: 'HTTPS' }, periodSeconds: 5, timeoutSeconds: 3 });
    assert.deepEqual(restored['livenessProbe'], { tcpSocket: { port: 8080 }, initialDelaySeconds: 10 });
    assert.deepEqual(stripped.meta['annotations'], { keep: 'me', 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090' });
  });

  test('a pod that was never injected is returned as it is', () => {
    const meta = { annotations: { a: 'b' } };
    const spec = { containers: [{ name: 'istio-proxy' }] };
    assert.deepEqual(stripInjected(meta, spec), { meta, spec });
  });
});

describe('container order', () => {
  const names = (list: unknown) => (list as JsonObject[]).map((c) => c['name']);
  test('the proxy last, or first when the app waits for it', () => {
    const spec = { containers: [{ name: 'istio-proxy' }, { name: 'a' }, { name: 'b' }] };
    assert.deepEqual(names(reorderContainers(spec, false)['containers']), ['a', 'b', 'istio-proxy']);
    assert.deepEqual(names(reorderContainers({ containers: [{ name: 'a' }, { name: 'istio-proxy' }] }, true)['containers']), ['istio-proxy', 'a']);
  });

  test('classic init: istio-validation first, istio-init last', () => {
    const spec = { containers: [], initContainers: [{ name: 'istio-init' }, { name: 'migrate' }, { name: 'istio-validation' }] };
    assert.deepEqual(names(reorderContainers(spec, false)['initContainers']), ['istio-validation', 'migrate', 'istio-init']);
  });

  test('native sidecar: istio-init, then istio-proxy, then the rest', () => {
    const spec = { containers: [], initContainers: [{ name: 'migrate' }, { name: 'istio-proxy' }, { name: 'istio-init' }] };
    assert.deepEqual(names(reorderContainers(spec, false)['initContainers']), ['istio-init', 'istio-proxy', 'migrate']);
  });
});
