import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  annotationsOf,
  isList,
  labelsOf,
  listItems,
  metadataProblems,
  objectRef,
  podTemplateAccessor,
  withAnnotations,
  withLabels,
  withListItems,
  workloadKinds,
} from '../../src/kube/index.js';
import type { KubeObject } from '../../src/kube/index.js';

const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web' }] } };

const workloads: [string, KubeObject, string[]][] = [
  ['Pod', { apiVersion: 'v1', kind: 'Pod', metadata: template.metadata, spec: template.spec, status: { phase: 'Pending' } }, []],
  ['Deployment', { apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: 2, template } }, ['spec', 'template']],
  ['Deployment (extensions/v1beta1)', { apiVersion: 'extensions/v1beta1', kind: 'Deployment', spec: { template } }, ['spec', 'template']],
  ['DaemonSet', { apiVersion: 'apps/v1', kind: 'DaemonSet', spec: { template } }, ['spec', 'template']],
  ['ReplicaSet', { apiVersion: 'apps/v1', kind: 'ReplicaSet', spec: { template } }, ['spec', 'template']],
  ['StatefulSet', { apiVersion: 'apps/v1', kind: 'StatefulSet', spec: { template } }, ['spec', 'template']],
  ['Job', { apiVersion: 'batch/v1', kind: 'Job', spec: { template } }, ['spec', 'template']],
  ['ReplicationController', { apiVersion: 'v1', kind: 'ReplicationController', spec: { template } }, ['spec', 'template']],
  ['DeploymentConfig', { apiVersion: 'apps.openshift.io/v1', kind: 'DeploymentConfig', spec: { template } }, ['spec', 'template']],
  ['CronJob', { apiVersion: 'batch/v1', kind: 'CronJob', spec: { schedule: '* * * * *', jobTemplate: { spec: { template } } } }, ['spec', 'jobTemplate', 'spec', 'template']],
];

for (const [name, obj, path] of workloads) {
  test(`podTemplateAccessor: ${name}`, () => {
    const before = structuredClone(obj);
    const accessor = podTemplateAccessor(obj);
    assert.ok(accessor);
    assert.deepEqual(accessor.path, path);
    assert.deepEqual(accessor.get(), template);
    const updated = accessor.set({ metadata: { labels: { app: 'web', injected: 'yes' } }, spec: { containers: [{ name: 'web' }, { name: 'istio-proxy' }] } });
    assert.deepEqual(obj, before, 'the input is not mutated');
    const again = podTemplateAccessor(updated)!.get();
    assert.deepEqual(again.metadata.labels, { app: 'web', injected: 'yes' });
    assert.equal((again.spec.containers as unknown[]).length, 2);
    // Everything outside the template is kept.
    assert.equal(updated.apiVersion, obj.apiVersion);
    if (name === 'Pod') assert.deepEqual(updated.status, { phase: 'Pending' });
    if (name === 'CronJob') assert.equal((updated.spec as { schedule: string }).schedule, '* * * * *');
  });
}

test('podTemplateAccessor: missing template reads as empty and set creates parents', () => {
  const accessor = podTemplateAccessor({ kind: 'CronJob' })!;
  assert.deepEqual(accessor.get(), { metadata: {}, spec: {} });
  assert.deepEqual(accessor.set({ metadata: {}, spec: { containers: [] } }), { kind: 'CronJob', spec: { jobTemplate: { spec: { template: { metadata: {}, spec: { containers: [] } } } } } });
});

test('podTemplateAccessor: not a workload', () => {
  assert.equal(podTemplateAccessor({ kind: 'Service' }), undefined);
  assert.equal(podTemplateAccessor({}), undefined);
  assert.ok(workloadKinds.includes('CronJob'));
});

test('lists', () => {
  const list: KubeObject = { apiVersion: 'v1', kind: 'List', items: [{ kind: 'Service' }, { kind: 'Deployment' }, 'junk'] };
  assert.ok(isList(list));
  assert.ok(isList({ kind: 'PodList', items: [] }));
  assert.ok(!isList({ kind: 'List' }));
  assert.ok(!isList({ kind: 'Pod', items: [] }));
  assert.deepEqual(listItems(list), [{ kind: 'Service' }, { kind: 'Deployment' }]);
  assert.deepEqual(withListItems(list, [{ kind: 'Pod' }]).items, [{ kind: 'Pod' }]);
  assert.equal((list.items as unknown[]).length, 3);
});

const refs: [KubeObject, string][] = [
  [{ kind: 'Deployment', metadata: { name: 'productpage', namespace: 'default' } }, 'Deployment "default/productpage"'],
  [{ kind: 'Pod', metadata: { name: 'p' } }, 'Pod "p"'],
  [{ kind: 'Pod', metadata: { generateName: 'web-7d4f8-', namespace: 'ns' } }, 'Pod "ns/web-7d4f8-"'],
  [{ kind: 'Pod' }, 'Pod "<unnamed>"'],
  [{}, 'object "<unnamed>"'],
];

for (const [obj, expected] of refs) {
  test(`objectRef → ${expected}`, () => assert.equal(objectRef(obj), expected));
}

test('labels and annotations tolerate missing metadata and skip non-strings', () => {
  assert.deepEqual(labelsOf({}), {});
  assert.deepEqual(annotationsOf({ metadata: {} }), {});
  assert.deepEqual(annotationsOf({ metadata: { annotations: { a: 'b' } } }), { a: 'b' });
  const odd = { metadata: { labels: { version: 1 }, annotations: { 'sidecar.istio.io/inject': true, ok: 'yes' } } } as unknown as KubeObject;
  assert.deepEqual(labelsOf(odd), {});
  assert.deepEqual(annotationsOf(odd), { ok: 'yes' });
  assert.deepEqual(metadataProblems(odd), [
    'metadata.labels["version"] must be a string, got 1 (quote it)',
    'metadata.annotations["sidecar.istio.io/inject"] must be a string, got true (quote it)',
  ]);
  assert.deepEqual(metadataProblems({ metadata: { labels: 'x' } } as unknown as KubeObject), ['metadata.labels must be a map of strings, got "x"']);
  assert.deepEqual(metadataProblems({}), []);
});

test('withAnnotations and withLabels return copies, create metadata, null removes', () => {
  const pod: KubeObject = { kind: 'Pod' };
  const annotated = withAnnotations(pod, { 'sidecar.istio.io/status': '{}' });
  assert.deepEqual(annotated, { kind: 'Pod', metadata: { annotations: { 'sidecar.istio.io/status': '{}' } } });
  assert.deepEqual(pod, { kind: 'Pod' });
  const relabelled = withLabels({ kind: 'Pod', metadata: { labels: { a: '1', b: '2' } } }, { b: null, c: '3' });
  assert.deepEqual(relabelled.metadata, { labels: { a: '1', c: '3' } });
  const t = withAnnotations({ metadata: {}, spec: {} }, { x: 'y' });
  assert.deepEqual(t, { metadata: { annotations: { x: 'y' } }, spec: {} });
});
