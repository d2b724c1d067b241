// The webhook's small pure parts: the injection path's parameters, the owner of a pod, metrics.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deployMetaFromPod, isInjectPath, parseInjectEnvs, WebhookMetrics } from '../../src/webhook/index.js';
import { setSink } from '../../src/log/index.js';

describe('parseInjectEnvs', () => {
  const cases: [string, Record<string, string>][] = [
    ['/inject', {}],
    ['/inject/', {}],
    ['/inject/cluster/east/net/network-1', { ISTIO_META_CLUSTER_ID: 'east', ISTIO_META_NETWORK: 'network-1' }],
    ['/inject/cluster/east/net/network-1/', { ISTIO_META_CLUSTER_ID: 'east', ISTIO_META_NETWORK: 'network-1' }],
    ['/inject/net/n1/cluster/c1/FOO/a--slash--b', { ISTIO_META_NETWORK: 'n1', ISTIO_META_CLUSTER_ID: 'c1', FOO: 'a/b' }],
    ['/inject/cluster/east/net', { ISTIO_META_CLUSTER_ID: 'east' }],
    ['/inject/:ENV:cluster=c2:ENV:net=n2', { ISTIO_META_CLUSTER_ID: 'c2', ISTIO_META_NETWORK: 'n2' }],
    ['/inject/:ENV:cluster=:ENV:=bad:ENV:alone', { ISTIO_META_CLUSTER_ID: '' }],
  ];
  // An odd number of entries is logged; keep the test output clean.
  let restore: ReturnType<typeof setSink>;
  before(() => void (restore = setSink(() => {})));
  after(() => void setSink(restore));
  for (const [path, expected] of cases) test(path, () => assert.deepEqual(parseInjectEnvs(path), expected));

  test('isInjectPath', () => {
    assert.deepEqual(['/inject', '/inject/', '/inject/cluster/a/net/b', '/injector', '/', '/inject2'].map(isInjectPath), [true, true, true, false, false, false]);
  });
});

describe('deployMetaFromPod', () => {
  const owned = (kind: string, name: string, labels: Record<string, string> = {}, apiVersion = 'apps/v1') => ({
    generateName: `${name}-`,
    namespace: 'shop',
    labels,
    ownerReferences: [{ apiVersion, kind, name, uid: 'u', controller: true }],
  });
  const cases: [string, Record<string, unknown>, { name: string; kind: string; apiVersion: string }][] = [
    ['a bare pod', { name: 'web', namespace: 'shop' }, { name: 'web', kind: 'Pod', apiVersion: 'v1' }],
    ['a Deployment\'s pod', owned('ReplicaSet', 'reviews-v1-5f7b9', { 'pod-template-hash': '5f7b9' }), { name: 'reviews-v1', kind: 'Deployment', apiVersion: 'apps/v1' }],
    ['a bare ReplicaSet\'s pod', owned('ReplicaSet', 'cache'), { name: 'cache', kind: 'ReplicaSet', apiVersion: 'apps/v1' }],
    ['a StatefulSet\'s pod', owned('StatefulSet', 'db'), { name: 'db', kind: 'StatefulSet', apiVersion: 'apps/v1' }],
    ['a CronJob\'s pod', owned('Job', 'backup-28912345', { 'job-name': 'backup-28912345' }, 'batch/v1'), { name: 'backup', kind: 'CronJob', apiVersion: 'batch/v1' }],
    ['a Job\'s pod', owned('Job', 'migrate', { 'job-name': 'migrate' }, 'batch/v1'), { name: 'migrate', kind: 'Job', apiVersion: 'batch/v1' }],
    ['a DeploymentConfig\'s pod', owned('ReplicationController', 'app-3', { deploymentconfig: 'app' }, 'v1'), { name: 'app', kind: 'DeploymentConfig', apiVersion: 'v1' }],
    ['owners but no generated name', { name: 'p', namespace: 'shop', ownerReferences: [{ kind: 'ReplicaSet', name: 'rs', controller: true }] }, { name: 'p', kind: 'Pod', apiVersion: 'v1' }],
    ['a generated name and no controller', { generateName: 'x-', namespace: 'shop', ownerReferences: [{ kind: 'ReplicaSet', name: 'rs' }] }, { name: '', kind: 'Pod', apiVersion: 'v1' }],
  ];
  for (const [name, metadata, expected] of cases) {
    test(name, () => assert.deepEqual(deployMetaFromPod(metadata as never), { ...expected, namespace: 'shop' }));
  }
});

describe('WebhookMetrics', () => {
  test('renders counters by reason and a cumulative histogram', () => {
    const m = new WebhookMetrics();
    m.requests = 4;
    m.recordOutcome({ result: 'injected', patch: [] });
    m.recordOutcome({ result: 'skipped', reason: 'pod_disabled', detail: '' });
    m.recordOutcome({ result: 'skipped', reason: 'pod_disabled', detail: '' });
    m.recordOutcome({ result: 'denied', message: 'x' });
    m.recordReload('config', false);
    m.observeLatency(0.002);
    m.observeLatency(0.2);
    const text = m.render();
    for (const line of [
      'sidecar_injection_requests_total 4',
      'sidecar_injection_success_total 1',
      'sidecar_injection_skip_total{reason="pod_disabled"} 2',
      'sidecar_injection_failure_total{reason="injection_error"} 1',
      'sidecar_injection_reloads_total{kind="config",result="failure"} 1',
      'sidecar_injection_time_seconds_bucket{le="0.001"} 0',
      'sidecar_injection_time_seconds_bucket{le="0.0025"} 1',
      'sidecar_injection_time_seconds_bucket{le="0.25"} 2',
      'sidecar_injection_time_seconds_bucket{le="+Inf"} 2',
      'sidecar_injection_time_seconds_count 2',
      '# TYPE sidecar_injection_time_seconds histogram',
    ]) {
      assert.ok(text.split('\n').includes(line), `missing ${line} in\n${text}`);
    }
  });
});
