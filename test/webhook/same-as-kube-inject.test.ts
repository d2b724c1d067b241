// Manual and automatic injection must never drift: for pods of many shapes, under Outrigger's
// default config and under Istio's own ConfigMaps, the webhook's patch applied to the pod gives
// exactly what kube-inject gives for it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { injectObject, loadSettings } from '../../src/inject/kube-inject.js';
import type { InjectionSettings } from '../../src/inject/kube-inject.js';
import { applyJsonPatch } from '../../src/kube/index.js';
import type { JsonPatchOperation } from '../../src/kube/index.js';
import { reviewAdmissionBody } from '../../src/webhook/index.js';
import { review } from './helpers.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'inject', 'fixtures');
const configs: Record<string, InjectionSettings> = {
  'Outrigger defaults': loadSettings({}, '', {}),
  'Outrigger defaults, native sidecars': loadSettings({}, '', { ENABLE_NATIVE_SIDECARS: 'true' }),
  'Outrigger defaults, revision canary': loadSettings({}, 'canary', {}),
  "Istio's ConfigMaps": loadSettings({ injectConfig: path.join(fixtures, 'istio-inject-config.yaml'), values: path.join(fixtures, 'istio-values.yaml'), meshConfig: path.join(fixtures, 'istio-mesh.yaml') }, '', {}),
};

const base = { apiVersion: 'v1', kind: 'Pod' };
const pods: Record<string, Record<string, unknown>> = {
  'a minimal pod': { ...base, metadata: { name: 'web', namespace: 'shop' }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
  'labels, annotations, ports and probes': {
    ...base,
    metadata: { name: 'ratings', namespace: 'shop', labels: { app: 'ratings', version: 'v1' }, annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9080', 'example.com/owner': 'team-a' } },
    spec: {
      containers: [{
        name: 'ratings', image: 'example/ratings:1', ports: [{ containerPort: 9080, name: 'http' }],
        readinessProbe: { httpGet: { path: '/ready', port: 'http' } }, livenessProbe: { httpGet: { path: '/live', port: 9080 } }, startupProbe: { tcpSocket: { port: 9080 } },
      }],
    },
  },
  'init containers, volumes, a security context': {
    ...base,
    metadata: { name: 'db', namespace: 'data', labels: { app: 'db' } },
    spec: {
      securityContext: { fsGroup: 2000 },
      initContainers: [{ name: 'migrate', image: 'example/migrate:1', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
      containers: [{ name: 'db', image: 'postgres:16', ports: [{ containerPort: 5432 }], volumeMounts: [{ name: 'data', mountPath: '/var/lib/postgresql' }] }],
      volumes: [{ name: 'data', emptyDir: {} }],
    },
  },
  'traffic annotations and a proxy config': {
    ...base,
    metadata: {
      name: 'api', namespace: 'shop', labels: { app: 'api' },
      annotations: {
        'traffic.sidecar.istio.io/excludeOutboundPorts': '3306,6379',
        'traffic.sidecar.istio.io/includeInboundPorts': '8080',
        'sidecar.istio.io/proxyCPU': '50m',
        'proxy.istio.io/config': '{"holdApplicationUntilProxyStarts": true, "concurrency": 2}',
      },
    },
    spec: { containers: [{ name: 'api', image: 'example/api:2', ports: [{ containerPort: 8080 }] }] },
  },
  'a user-tuned istio-proxy': {
    ...base,
    metadata: { name: 'tuned', namespace: 'shop', labels: { app: 'tuned' } },
    spec: { containers: [{ name: 'app', image: 'example/app:1' }, { name: 'istio-proxy', image: 'auto', resources: { limits: { memory: '2Gi' } } }] },
  },
};

const patchOf = (body: string): JsonPatchOperation[] => {
  const response = (JSON.parse(body) as { response: { patch?: string } }).response;
  return JSON.parse(Buffer.from(response.patch ?? 'W10=', 'base64').toString()) as JsonPatchOperation[];
};

describe('the webhook injects exactly as kube-inject', () => {
  for (const [configName, settings] of Object.entries(configs)) {
    for (const [podName, pod] of Object.entries(pods)) {
      test(`${podName}, ${configName}`, () => {
        const answer = reviewAdmissionBody(JSON.stringify(review(pod, { namespace: String((pod['metadata'] as Record<string, unknown>)['namespace']) })), settings);
        assert.equal(answer.outcome.result, 'injected');
        const injected = applyJsonPatch(pod, patchOf(JSON.stringify(answer.response)));
        assert.deepEqual(injected, injectObject(pod, settings).object);
        // And once more: the injected pod is a fixed point.
        const again = reviewAdmissionBody(JSON.stringify(review(injected)), settings);
        assert.deepEqual(again.outcome, { result: 'skipped', reason: 'no_change', detail: 'the pod is injected already' });
      });
    }
  }
});
