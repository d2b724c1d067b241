import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyJsonPatch, createJsonPatch, jsonPointer, JsonPatchError } from '../../src/kube/index.js';
import type { JsonPatchOperation } from '../../src/kube/index.js';

const pod = {
  metadata: { name: 'productpage', labels: { app: 'productpage' } },
  spec: { containers: [{ name: 'productpage', image: 'p:1', ports: [{ containerPort: 9080 }] }] },
};

type Case = { name: string; original: unknown; modified: unknown; expected: JsonPatchOperation[] };

const cases: Case[] = [
  { name: 'no change, no operations', original: pod, modified: structuredClone(pod), expected: [] },
  {
    name: 'a missing annotations map is added whole, not a child of a missing parent',
    original: pod,
    modified: { ...pod, metadata: { ...pod.metadata, annotations: { 'sidecar.istio.io/status': '{}' } } },
    expected: [{ op: 'add', path: '/metadata/annotations', value: { 'sidecar.istio.io/status': '{}' } }],
  },
  {
    name: 'a missing metadata is added whole',
    original: { spec: {} },
    modified: { metadata: { annotations: { a: 'b' } }, spec: {} },
    expected: [{ op: 'add', path: '/metadata', value: { annotations: { a: 'b' } } }],
  },
  {
    name: 'annotation keys escape / and ~',
    original: { metadata: { annotations: { x: '1' } } },
    modified: { metadata: { annotations: { x: '1', 'sidecar.istio.io/status': '{}', 'odd~key': 'v' } } },
    expected: [
      { op: 'add', path: '/metadata/annotations/sidecar.istio.io~1status', value: '{}' },
      { op: 'add', path: '/metadata/annotations/odd~0key', value: 'v' },
    ],
  },
  {
    name: 'minimal: one changed field is one replace',
    original: pod,
    modified: { ...pod, spec: { containers: [{ ...pod.spec.containers[0], image: 'p:2' }] } },
    expected: [{ op: 'replace', path: '/spec/containers/0/image', value: 'p:2' }],
  },
  {
    name: 'a container inserted before the existing one',
    original: pod,
    modified: { ...pod, spec: { containers: [{ name: 'istio-proxy' }, pod.spec.containers[0]] } },
    expected: [{ op: 'add', path: '/spec/containers/0', value: { name: 'istio-proxy' } }],
  },
  {
    name: 'undefined properties are not sent',
    original: { a: 1 },
    modified: { a: 1, b: undefined },
    expected: [],
  },
];

for (const c of cases) {
  test(`createJsonPatch: ${c.name}`, () => {
    const before = structuredClone(c.original);
    const patch = createJsonPatch(c.original, c.modified);
    assert.deepEqual(patch, c.expected);
    assert.deepEqual(c.original, before);
    assert.deepEqual(applyJsonPatch(c.original, patch), JSON.parse(JSON.stringify(c.modified)));
  });
}

test('createJsonPatch then applyJsonPatch reproduces an injected pod', () => {
  const injected = {
    metadata: { ...pod.metadata, labels: { ...pod.metadata.labels, 'security.istio.io/tlsMode': 'istio' }, annotations: { 'sidecar.istio.io/status': '{"containers":["istio-proxy"]}' } },
    spec: {
      initContainers: [{ name: 'istio-init', args: ['istio-iptables', '-p', '15001'] }],
      containers: [pod.spec.containers[0], { name: 'istio-proxy', ports: [{ containerPort: 15090 }] }],
      volumes: [{ name: 'istio-envoy', emptyDir: { medium: 'Memory' } }],
    },
  };
  const patch = createJsonPatch(pod, injected);
  assert.deepEqual(applyJsonPatch(pod, patch), injected);
  for (const op of patch) assert.ok(op.op === 'add', `only additions expected, got ${JSON.stringify(op)}`);
});

test('jsonPointer escapes tokens', () => {
  assert.equal(jsonPointer(['metadata', 'annotations', 'sidecar.istio.io/status']), '/metadata/annotations/sidecar.istio.io~1status');
  assert.equal(jsonPointer(['a~/b', 0]), '/a~0~1b/0');
  assert.equal(jsonPointer([]), '');
});

test('applyJsonPatch refuses an add below a missing parent, as the API server does', () => {
  assert.throws(
    () => applyJsonPatch(pod, [{ op: 'add', path: '/metadata/annotations/sidecar.istio.io~1status', value: '{}' }]),
    (err: unknown) => err instanceof JsonPatchError && err.operationIndex === 0 && /add \/metadata\/annotations\/sidecar\.istio\.io~1status/.test(err.message),
  );
});

test('applyJsonPatch stops at the first failure and leaves the input alone', () => {
  const before = structuredClone(pod);
  assert.throws(
    () =>
      applyJsonPatch(pod, [
        { op: 'replace', path: '/metadata/name', value: 'x' },
        { op: 'test', path: '/metadata/name', value: 'y' },
      ]),
    (err: unknown) => err instanceof JsonPatchError && err.operationIndex === 1,
  );
  assert.deepEqual(pod, before);
});

test('applyJsonPatch can replace the whole document', () => {
  assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }]), { b: 2 });
});

// A small deterministic generator (no dependency, same sequence every run).
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

type Container = { name: string; image: string; env?: { name: string; value: string }[] };
type Pod = { metadata: { name: string; annotations?: Record<string, string> }; spec: { containers: Container[] } };

function mutate(pod: Pod, next: () => number): Pod {
  const copy = structuredClone(pod);
  const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)]!;
  for (let step = 0; step < 1 + Math.floor(next() * 4); step++) {
    const containers = copy.spec.containers;
    const action = pick(['insert', 'remove', 'image', 'env', 'annotation', 'unannotate']);
    const at = Math.floor(next() * (containers.length + 1));
    if (action === 'insert') containers.splice(at, 0, { name: `c${Math.floor(next() * 1000)}`, image: 'img' });
    else if (action === 'remove' && containers.length > 0) containers.splice(at % containers.length, 1);
    else if (action === 'image' && containers.length > 0) containers[at % containers.length]!.image = `img:${step}`;
    else if (action === 'env' && containers.length > 0) {
      const c = containers[at % containers.length]!;
      c.env = [...(c.env ?? []), { name: `E${step}`, value: 'v/~' }];
    } else if (action === 'annotation') copy.metadata.annotations = { ...copy.metadata.annotations, [`x.io/k~${step}`]: 'v' };
    else if (action === 'unannotate') delete copy.metadata.annotations;
  }
  return copy;
}

test('createJsonPatch round-trips through applyJsonPatch on generated pod edits', () => {
  const next = random(42);
  let pod: Pod = { metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'app' }] } };
  for (let i = 0; i < 300; i++) {
    const modified = mutate(pod, next);
    const patch = createJsonPatch(pod, modified);
    assert.deepEqual(applyJsonPatch(pod, patch), modified, `iteration ${i}: ${JSON.stringify(patch)}`);
    pod = modified;
  }
});
