// ENABLE_NATIVE_SIDECARS=auto: the decision as a table, then detection against the FAKE API
// server's nodes (test/support/fake-kube-api.ts), including a 403 on nodes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeClient } from '../../src/kube/api/index.js';
import type { KubeObject } from '../../src/kube/api/index.js';
import { setSink } from '../../src/log/index.js';
import { staticSettings } from '../../src/webhook/index.js';
import { decideNativeSidecars, detectNativeSidecars, NativeSidecarsDetector, nativeSidecarsMode, parseKubeletVersion, withNativeSidecars } from '../../src/webhook/native-sidecars.js';
import type { NodesAnswer } from '../../src/webhook/native-sidecars.js';
import { FakeKubeApi, node } from '../support/fake-kube-api.js';
import { defaultSettings } from './helpers.js';

const nodes = (...versions: string[]): NodesAnswer => ({ nodes: versions.map((v, i) => node(`node-${i}`, v) as KubeObject) });

describe('the decision (pure)', () => {
  test('kubelet versions', () => {
    for (const [version, expected] of [
      ['v1.29.0', { major: 1, minor: 29 }],
      ['v1.30.4-eks-a737599', { major: 1, minor: 30 }],
      ['v1.31.1+k3s1', { major: 1, minor: 31 }],
      ['1.28', { major: 1, minor: 28 }],
      ['v1.100.0', { major: 1, minor: 100 }],
      ['', undefined],
      ['latest', undefined],
    ] as const) assert.deepEqual(parseKubeletVersion(version), expected, version);
  });

  const cases: [string, Parameters<typeof decideNativeSidecars>[0], NodesAnswer | undefined, boolean, RegExp][] = [
    ['every node at 1.29 or later', 'auto', nodes('v1.29.0', 'v1.30.2-gke.1', 'v1.31.0+k3s1'), true, /all 3 nodes run kubelet v1\.29 or later/],
    ['one older node', 'auto', nodes('v1.30.0', 'v1.28.9', 'v1.29.1'), false, /1 of 3 nodes run a kubelet before v1\.29: node-1 \(v1\.28\.9\)/],
    ['a node without a version', 'auto', { nodes: [{ metadata: { name: 'bare' } }] }, false, /bare \(no kubelet version\)/],
    ['many older nodes, listed briefly', 'auto', nodes(...Array.from({ length: 8 }, () => 'v1.27.0')), false, /8 of 8 nodes .* and 3 more$/],
    ['no nodes', 'auto', nodes(), false, /the cluster has no nodes to ask/],
    ['nodes not listable', 'auto', { unavailable: '403 Forbidden' }, false, /the nodes cannot be listed: 403 Forbidden/],
    ['no API', 'auto', undefined, false, /there is no Kubernetes API to ask/],
    ['true overrides old nodes', 'true', nodes('v1.20.0'), true, /ENABLE_NATIVE_SIDECARS=true/],
    ['false overrides new nodes', 'false', nodes('v1.31.0'), false, /ENABLE_NATIVE_SIDECARS is false/],
  ];
  for (const [name, mode, answer, enabled, reason] of cases) {
    test(name, () => {
      const decision = decideNativeSidecars(mode, answer);
      assert.equal(decision.enabled, enabled);
      assert.match(decision.reason, reason);
    });
  }

  test('ENABLE_NATIVE_SIDECARS values', () => {
    assert.equal(nativeSidecarsMode({}), 'false');
    assert.equal(nativeSidecarsMode({ ENABLE_NATIVE_SIDECARS: ' TRUE ' }), 'true');
    assert.equal(nativeSidecarsMode({ ENABLE_NATIVE_SIDECARS: 'Auto' }), 'auto');
    assert.throws(() => nativeSidecarsMode({ ENABLE_NATIVE_SIDECARS: 'sometimes' }), /invalid value "sometimes" for ENABLE_NATIVE_SIDECARS: use true, false or auto/);
  });

  test('withNativeSidecars keeps one settings object per inner one (the review cache is per settings)', () => {
    const inner = defaultSettings();
    const source = withNativeSidecars(staticSettings(inner), true);
    assert.equal(source.current().nativeSidecars, true);
    assert.equal(source.current(), source.current());
    assert.equal(withNativeSidecars(staticSettings(inner), false).current(), inner);
    let enabled = false;
    const dynamic = withNativeSidecars(staticSettings(inner), () => enabled);
    assert.equal(dynamic.current(), inner);
    enabled = true;
    const on = dynamic.current();
    assert.equal(on.nativeSidecars, true);
    assert.equal(dynamic.current(), on);
  });
});

describe('detection against the fake API server', () => {
  let api: FakeKubeApi;
  let client: KubeClient;
  const logs: string[] = [];
  let restoreSink: ReturnType<typeof setSink>;
  before(async () => {
    api = await FakeKubeApi.start({ tokens: ['t'] });
    client = new KubeClient({ server: new URL(api.url), ca: Buffer.from(api.ca.cert), token: () => 't' });
    restoreSink = setSink((line) => logs.push(line));
  });
  after(async () => {
    setSink(restoreSink);
    client.close();
    await api.close();
  });

  test('all nodes at 1.29+ → on; one older node → off; each logged with its reason', async () => {
    api.put('nodes', node('a', 'v1.29.2'));
    api.put('nodes', node('b', 'v1.31.0-eks-1'));
    assert.equal((await detectNativeSidecars({ ENABLE_NATIVE_SIDECARS: 'auto' }, client)).enabled, true);
    assert.match(logs.at(-1)!, /\tinfo\twebhook\tnative sidecars on: ENABLE_NATIVE_SIDECARS=auto: all 2 nodes run kubelet v1\.29 or later/);
    api.put('nodes', node('c', 'v1.28.7'));
    assert.equal((await detectNativeSidecars({ ENABLE_NATIVE_SIDECARS: 'auto' }, client)).enabled, false);
    assert.match(logs.at(-1)!, /native sidecars off: ENABLE_NATIVE_SIDECARS=auto: 1 of 3 nodes run a kubelet before v1\.29: c \(v1\.28\.7\)/);
  });

  test('nodes not listable (403) → off, with a log line saying why and what to do', async () => {
    api.forbidden.add('nodes');
    try {
      assert.equal((await detectNativeSidecars({ ENABLE_NATIVE_SIDECARS: 'auto' }, client)).enabled, false);
      assert.match(logs.at(-1)!, /native sidecars off: ENABLE_NATIVE_SIDECARS=auto, but the nodes cannot be listed: GET \/api\/v1\/nodes: 403 Forbidden: nodes is forbidden: .* \(grant the injector list on nodes, or set ENABLE_NATIVE_SIDECARS=true or false\)/);
    } finally {
      api.forbidden.delete('nodes');
    }
  });

  test('true and false decide without asking the API server; auto without a client is off', async () => {
    const before = api.requests.length;
    api.put('nodes', node('old', 'v1.20.0'));
    assert.equal((await detectNativeSidecars({ ENABLE_NATIVE_SIDECARS: 'true' }, client)).enabled, true);
    assert.equal((await detectNativeSidecars({ ENABLE_NATIVE_SIDECARS: 'false' }, client)).enabled, false);
    assert.equal(api.requests.length, before);
    assert.equal((await detectNativeSidecars({ ENABLE_NATIVE_SIDECARS: 'auto' })).enabled, false);
    assert.match(logs.at(-1)!, /native sidecars off: ENABLE_NATIVE_SIDECARS=auto, but there is no Kubernetes API to ask/);
  });
});

describe('NativeSidecarsDetector: the nodes listed again', () => {
  test('an older node joining turns it off, its leaving turns it back on; a failed list keeps the decision', async () => {
    const api = await FakeKubeApi.start({ tokens: ['t'] });
    const client = new KubeClient({ server: new URL(api.url), ca: Buffer.from(api.ca.cert), token: () => 't' });
    const logs: string[] = [];
    const restore = setSink((line) => logs.push(line));
    const eventually = async (condition: () => boolean, what: string) => {
      const deadline = Date.now() + 4000;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await sleep(10);
      }
    };
    let detector: NativeSidecarsDetector | undefined;
    try {
      api.put('nodes', node('new-1', 'v1.30.0'));
      detector = await NativeSidecarsDetector.start({ ENABLE_NATIVE_SIDECARS: 'auto' }, client, { recheckIntervalMs: 30 });
      assert.equal(detector.enabled, true);
      api.put('nodes', node('old-1', 'v1.27.3'));
      await eventually(() => !detector!.enabled, 'off');
      assert.ok(logs.some((l) => /native sidecars now off: ENABLE_NATIVE_SIDECARS=auto: 1 of 2 nodes run a kubelet before v1\.29: old-1 \(v1\.27\.3\)/.test(l)), logs.join('\n'));
      api.remove('nodes', '', 'old-1');
      await eventually(() => detector!.enabled, 'on again');
      api.forbidden.add('nodes');
      await eventually(() => logs.some((l) => /native sidecars stay on: the nodes could not be listed again: .*403 Forbidden/.test(l)), 'the warning');
      assert.equal(detector.enabled, true);
      // true and false never list.
      detector.close();
      await sleep(50);
      const nodeLists = () => api.requests.filter((r) => r.path === '/api/v1/nodes').length;
      const before = nodeLists();
      const fixed = await NativeSidecarsDetector.start({ ENABLE_NATIVE_SIDECARS: 'true' }, client, { recheckIntervalMs: 10 });
      await sleep(50);
      assert.equal(fixed.enabled, true);
      assert.equal(nodeLists(), before);
      fixed.close();
    } finally {
      detector?.close();
      setSink(restore);
      client.close();
      await api.close();
    }
  });
});
