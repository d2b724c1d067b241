import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deploymentTable, humanDuration, renderTable } from '../../src/runtime/table.js';
import { planCluster } from '../../src/runtime/plan.js';
import { loadManifests } from '../../src/runtime/manifests.js';
import { packageRoot } from '../../src/paths.js';
import path from 'node:path';
import { nextCrashCount, restartDelay, KUBELET_BACKOFF } from '../../src/runtime/backoff.js';
import { fnv32a, nameSuffix, podTemplateHash, stableJson } from '../../src/runtime/names.js';
import { initialThreshold, observe } from '../../src/runtime/probe-threshold.js';

describe('humanDuration (kubectl AGE)', () => {
  const s = 1000;
  for (const [ms, text] of [
    [0, '0s'],
    [45 * s, '45s'],
    [119 * s, '119s'],
    [192 * s, '3m12s'],
    [300 * s, '5m'],
    [25 * 60 * s, '25m'],
    [(4 * 60 + 10) * 60 * s, '4h10m'],
    [20 * 3600 * s, '20h'],
    [(3 * 24 + 4) * 3600 * s, '3d4h'],
    [40 * 86400 * s, '40d'],
    [800 * 86400 * s, '2y'],
  ] as const) {
    test(text, () => assert.equal(humanDuration(ms), text));
  }
});

test('renderTable pads columns by three spaces, like kubectl', () => {
  assert.equal(renderTable(['NAME', 'READY'], [['a-long-name', '1/1'], ['b', '0/1']]), 'NAME          READY\na-long-name   1/1\nb             0/1\n');
});

describe('crash-loop back-off', () => {
  test('doubles from 10 s up to 5 minutes', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 50].map((n) => restartDelay(KUBELET_BACKOFF, n) / 1000), [10, 20, 40, 80, 160, 300, 300, 300]);
  });
  test('forgets after ten minutes of running', () => {
    assert.equal(nextCrashCount(KUBELET_BACKOFF, 4, 1000), 5);
    assert.equal(nextCrashCount(KUBELET_BACKOFF, 4, 600_000), 1);
  });
});

describe('names', () => {
  test('FNV-1a', () => {
    assert.equal(fnv32a(''), 0x811c9dc5);
    assert.equal(fnv32a('a'), 0xe40c292c);
  });
  test('the template hash ignores key order and changes with the template', () => {
    assert.equal(podTemplateHash({ a: 1, b: [1, { c: 2, d: 3 }] }), podTemplateHash({ b: [1, { d: 3, c: 2 }], a: 1 }));
    assert.notEqual(podTemplateHash({ a: 1 }), podTemplateHash({ a: 2 }));
    assert.equal(stableJson({ b: 1, a: [null, 'x'] }), '{"a":[null,"x"],"b":1}');
  });
  test('suffixes are five safe characters, different per replica', () => {
    const suffixes = [0, 1, 2, 3].map((i) => nameSuffix('reviews-v1-abc', i));
    assert.equal(new Set(suffixes).size, 4);
    for (const s of suffixes) assert.match(s, /^[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });
});

describe('processAlive', () => {
  test('this process is alive; an exited one is not', async () => {
    const { processAlive } = await import('../../src/runtime/state.js');
    const { spawnSync } = await import('node:child_process');
    assert.equal(processAlive(process.pid), true);
    const child = spawnSync('true');
    assert.equal(processAlive(child.pid), false);
    assert.equal(processAlive(undefined), false);
  });
});

describe('probe thresholds', () => {
  const run = (results: boolean[], successThreshold: number, failureThreshold: number) => {
    let state = initialThreshold;
    return results.map((ok) => {
      const next = observe(state, ok, { successThreshold, failureThreshold });
      state = next.state;
      return next.verdict === undefined ? '.' : next.verdict ? 'T' : 'F';
    }).join('');
  };
  for (const [name, results, s, f, expected] of [
    ['a success counts at once; repeats say nothing', [true, true, true], 1, 3, 'T..'],
    ['three failures in a row, then again three', [false, false, false, false, false, false], 1, 3, '..F..F'],
    ['a success between failures resets the count', [false, false, true, false, false, false], 1, 3, '..T..F'],
    ['successThreshold 2 after a failure verdict', [false, true, true, true], 2, 1, 'F.T.'],
    ['failureThreshold 1: every failure', [false, false, true, false], 1, 1, 'FFTF'],
  ] as const) {
    test(name, () => assert.equal(run([...results], s, f), expected));
  }
});

test("deploymentTable: kubectl's columns, READY from the Deployment's own pods' readiness", () => {
  const plan = planCluster(loadManifests([path.join(packageRoot, 'samples', 'bookinfo', 'bookinfo.yaml')]), { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/16', netnsPrefix: 'o-', resolveProgram: (n) => `/usr/bin/${n}` });
  const ready = (name: string) => ({ namespace: 'default', name, phase: 'Running', ready: true, status: { initContainers: [], containers: [] } });
  // reviews-v2's pod is ready, reviews-v1's is not; "reviews" (a prefix of both) owns neither.
  const statuses = plan.pods.filter((p) => p.name.startsWith('reviews-v2-')).map((p) => ready(p.name));
  const rows = [{ namespace: 'default', name: 'reviews-v1', replicas: 1 }, { namespace: 'default', name: 'reviews-v2', replicas: 1 }, { namespace: 'default', name: 'reviews', replicas: 2 }];
  assert.equal(deploymentTable(rows, plan.pods, statuses, { allNamespaces: false, age: '5m' }), [
    'NAME         READY   UP-TO-DATE   AVAILABLE   AGE',
    'reviews-v1   0/1     1            0           5m',
    'reviews-v2   1/1     1            1           5m',
    'reviews      0/2     0            0           5m',
    '',
  ].join('\n'));
});
