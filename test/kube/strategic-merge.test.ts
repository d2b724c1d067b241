import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podSchema, podSpecSchema, podTemplateSchema, prefixSchema, strategicMerge, StrategicMergeError } from '../../src/kube/index.js';

type Case = { name: string; original: unknown; patch: unknown; expected: unknown };

const specCases: Case[] = [
  {
    name: 'empty patch is the identity',
    original: { containers: [{ name: 'app', image: 'a' }], hostNetwork: false },
    patch: {},
    expected: { containers: [{ name: 'app', image: 'a' }], hostNetwork: false },
  },
  {
    name: 'containers merge by name: new patch items first, original-only after',
    original: { containers: [{ name: 'app', image: 'app:1' }, { name: 'log', image: 'log:1' }] },
    patch: { containers: [{ name: 'istio-proxy', image: 'proxyv2' }, { name: 'app', imagePullPolicy: 'Always' }] },
    expected: {
      containers: [
        { name: 'istio-proxy', image: 'proxyv2' },
        { name: 'app', image: 'app:1', imagePullPolicy: 'Always' },
        { name: 'log', image: 'log:1' },
      ],
    },
  },
  {
    name: 'items on both sides keep their original relative position',
    original: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] },
    patch: { containers: [{ name: 'b', image: 'x' }] },
    expected: { containers: [{ name: 'a' }, { name: 'b', image: 'x' }, { name: 'c' }] },
  },
  {
    name: 'mixed: a server-only item goes first only when it preceded the next patch item in the original',
    original: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] },
    patch: { containers: [{ name: 'c' }, { name: 'new' }, { name: 'a' }] },
    expected: { containers: [{ name: 'b' }, { name: 'c' }, { name: 'new' }, { name: 'a' }] },
  },
  {
    name: 'env merges by name',
    original: { containers: [{ name: 'app', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }] },
    patch: { containers: [{ name: 'app', env: [{ name: 'B', value: 'two' }, { name: 'C', value: '3' }] }] },
    expected: { containers: [{ name: 'app', env: [{ name: 'A', value: '1' }, { name: 'B', value: 'two' }, { name: 'C', value: '3' }] }] },
  },
  {
    name: 'ports merge by containerPort',
    original: { containers: [{ name: 'app', ports: [{ containerPort: 80, name: 'http' }, { containerPort: 9090 }] }] },
    patch: { containers: [{ name: 'app', ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 15090, name: 'http-envoy-prom' }] }] },
    expected: {
      containers: [
        {
          name: 'app',
          ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }, { containerPort: 15090, name: 'http-envoy-prom' }, { containerPort: 9090 }],
        },
      ],
    },
  },
  {
    name: 'volumeMounts merge by mountPath',
    original: { containers: [{ name: 'app', volumeMounts: [{ name: 'data', mountPath: '/data' }] }] },
    patch: { containers: [{ name: 'app', volumeMounts: [{ name: 'data2', mountPath: '/data', readOnly: true }, { name: 'certs', mountPath: '/etc/certs' }] }] },
    expected: {
      containers: [{ name: 'app', volumeMounts: [{ name: 'data2', mountPath: '/data', readOnly: true }, { name: 'certs', mountPath: '/etc/certs' }] }],
    },
  },
  {
    name: 'null deletes a key',
    original: { containers: [{ name: 'app', image: 'a', securityContext: { runAsUser: 0 } }], hostNetwork: true },
    patch: { hostNetwork: null, containers: [{ name: 'app', securityContext: null }] },
    expected: { containers: [{ name: 'app', image: 'a' }] },
  },
  {
    name: 'nested maps merge (securityContext, resources)',
    original: { containers: [{ name: 'app', securityContext: { runAsUser: 1000, capabilities: { add: ['NET_ADMIN'] } }, resources: { limits: { cpu: '1' } } }] },
    patch: { containers: [{ name: 'app', securityContext: { runAsNonRoot: true, capabilities: { drop: ['ALL'] } }, resources: { requests: { cpu: '100m' } } }] },
    expected: {
      containers: [
        {
          name: 'app',
          securityContext: { runAsUser: 1000, capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] }, runAsNonRoot: true },
          resources: { limits: { cpu: '1' }, requests: { cpu: '100m' } },
        },
      ],
    },
  },
  {
    name: 'atomic lists are replaced: args, command, tolerations',
    original: { containers: [{ name: 'app', args: ['a', 'b'], command: ['/x'] }], tolerations: [{ key: 'k', operator: 'Exists' }] },
    patch: { containers: [{ name: 'app', args: ['c'] }], tolerations: [{ key: 'other', operator: 'Exists' }] },
    expected: { containers: [{ name: 'app', args: ['c'], command: ['/x'] }], tolerations: [{ key: 'other', operator: 'Exists' }] },
  },
  {
    name: '$patch: replace on a map',
    original: { securityContext: { runAsUser: 1, fsGroup: 2 } },
    patch: { securityContext: { $patch: 'replace', runAsGroup: 3 } },
    expected: { securityContext: { runAsGroup: 3 } },
  },
  {
    name: '$patch: replace on a list',
    original: { containers: [{ name: 'a', image: 'a' }, { name: 'b' }] },
    patch: { containers: [{ $patch: 'replace' }, { name: 'c' }, { name: 'a' }] },
    expected: { containers: [{ name: 'c' }, { name: 'a' }] },
  },
  {
    name: '$patch: delete on a list item',
    original: { volumes: [{ name: 'a', emptyDir: {} }, { name: 'b', emptyDir: {} }], containers: [{ name: 'app' }, { name: 'istio-proxy' }] },
    patch: { volumes: [{ name: 'a', $patch: 'delete' }], containers: [{ name: 'istio-proxy', $patch: 'delete' }] },
    expected: { volumes: [{ name: 'b', emptyDir: {} }], containers: [{ name: 'app' }] },
  },
  {
    name: '$patch: delete on a map empties it',
    original: { securityContext: { runAsUser: 1 } },
    patch: { securityContext: { $patch: 'delete' } },
    expected: { securityContext: {} },
  },
  {
    name: '$patch: merge on a map is the default',
    original: { securityContext: { runAsUser: 1 } },
    patch: { securityContext: { $patch: 'merge', fsGroup: 2 } },
    expected: { securityContext: { runAsUser: 1, fsGroup: 2 } },
  },
  {
    name: '$retainKeys drops the other fields of a volume',
    original: { volumes: [{ name: 'v', emptyDir: {} }] },
    patch: { volumes: [{ name: 'v', $retainKeys: ['name', 'configMap'], configMap: { name: 'cm' } }] },
    expected: { volumes: [{ name: 'v', configMap: { name: 'cm' } }] },
  },
  {
    name: '$setElementOrder reorders items the patch does not otherwise touch',
    original: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] },
    patch: { '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }, { name: 'b' }], containers: [{ name: 'a', image: 'x' }] },
    expected: { containers: [{ name: 'c' }, { name: 'a', image: 'x' }, { name: 'b' }] },
  },
  {
    name: 'new values are cleaned of nulls',
    original: {},
    patch: { securityContext: { runAsUser: null, fsGroup: 1 }, containers: [{ name: 'a', image: null }] },
    expected: { securityContext: { fsGroup: 1 }, containers: [{ name: 'a' }] },
  },
  {
    name: 'hostAliases merge by ip, imagePullSecrets by name',
    original: { hostAliases: [{ ip: '10.0.0.1', hostnames: ['a'] }], imagePullSecrets: [{ name: 'r1' }] },
    patch: { hostAliases: [{ ip: '10.0.0.1', hostnames: ['b'] }, { ip: '10.0.0.2', hostnames: ['c'] }], imagePullSecrets: [{ name: 'r2' }] },
    expected: { hostAliases: [{ ip: '10.0.0.1', hostnames: ['b'] }, { ip: '10.0.0.2', hostnames: ['c'] }], imagePullSecrets: [{ name: 'r2' }, { name: 'r1' }] },
  },
  {
    name: 'undefined in the patch is not a value',
    original: { hostNetwork: true },
    patch: { hostNetwork: undefined },
    expected: { hostNetwork: true },
  },
  {
    name: 'type change takes the patch value',
    original: { nodeSelector: 'weird' },
    patch: { nodeSelector: { zone: 'a' } },
    expected: { nodeSelector: { zone: 'a' } },
  },
];

for (const c of specCases) {
  test(`PodSpec: ${c.name}`, () => {
    assert.deepEqual(strategicMerge(c.original, c.patch, podSpecSchema), c.expected);
  });
}

const metaCases: Case[] = [
  {
    name: 'labels and annotations merge key by key; null removes one',
    original: { metadata: { labels: { app: 'a', v: '1' }, annotations: { x: '1' } } },
    patch: { metadata: { labels: { v: '2' }, annotations: { x: null, 'sidecar.istio.io/status': '{}' } } },
    expected: { metadata: { labels: { app: 'a', v: '2' }, annotations: { 'sidecar.istio.io/status': '{}' } } },
  },
  {
    name: 'finalizers merge as a set; $deleteFromPrimitiveList removes',
    original: { metadata: { finalizers: ['a', 'b'] } },
    patch: { metadata: { finalizers: ['c', 'a'], '$deleteFromPrimitiveList/finalizers': ['b'] } },
    expected: { metadata: { finalizers: ['c', 'a'] } },
  },
  {
    name: '$setElementOrder on a list of scalars, without a patch list',
    original: { metadata: { finalizers: ['a', 'b', 'c'] } },
    patch: { metadata: { '$setElementOrder/finalizers': ['c', 'a', 'b'] } },
    expected: { metadata: { finalizers: ['c', 'a', 'b'] } },
  },
  {
    name: '$setElementOrder beside a null list: the list is deleted',
    original: { spec: { containers: [{ name: 'a' }] } },
    patch: { spec: { '$setElementOrder/containers': [], containers: null } },
    expected: { spec: {} },
  },
  {
    name: 'spec lists are merged under spec',
    original: { spec: { initContainers: [{ name: 'user-init' }] } },
    patch: { spec: { initContainers: [{ name: 'istio-init' }] } },
    expected: { spec: { initContainers: [{ name: 'istio-init' }, { name: 'user-init' }] } },
  },
];

for (const c of metaCases) {
  test(`PodTemplateSpec: ${c.name}`, () => {
    assert.deepEqual(strategicMerge(c.original, c.patch, podTemplateSchema), c.expected);
  });
}

test('inputs are not mutated', () => {
  const original = { containers: [{ name: 'app', env: [{ name: 'A', value: '1' }] }], volumes: [{ name: 'v' }] };
  const patch = { containers: [{ name: 'app', env: [{ name: 'A', value: '2' }] }, { name: 'new' }], volumes: [{ name: 'v', $patch: 'delete' }] };
  const originalCopy = structuredClone(original);
  const patchCopy = structuredClone(patch);
  const merged = strategicMerge(original, patch, podSpecSchema) as { containers: unknown[] };
  assert.deepEqual(original, originalCopy);
  assert.deepEqual(patch, patchCopy);
  // Nor does the result share structure with the inputs.
  (merged.containers[1] as { name: string }).name = 'changed';
  assert.deepEqual(patch, patchCopy);
});

const errorCases: { name: string; original: unknown; patch: unknown; message: RegExp }[] = [
  { name: 'unknown directive', original: {}, patch: { securityContext: { $patch: 'frobnicate' } }, message: /securityContext: unknown \$patch directive "frobnicate"/ },
  { name: 'item without merge key', original: { containers: [{ name: 'a' }] }, patch: { containers: [{ image: 'x' }] }, message: /containers: list item .* has no merge key "name"/ },
  { name: '$patch: merge in a list', original: {}, patch: { containers: [{ $patch: 'merge' }] }, message: /containers: \$patch: merge cannot be given for a list/ },
  { name: 'delete without key', original: { volumes: [{ name: 'a' }] }, patch: { volumes: [{ $patch: 'delete' }] }, message: /volumes: \$patch: delete item/ },
  {
    name: '$setElementOrder contradicting the patch',
    original: { containers: [{ name: 'a' }, { name: 'b' }] },
    patch: { '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }], containers: [{ name: 'b' }, { name: 'a' }] },
    message: /does not match \$setElementOrder/,
  },
  { name: 'patch is not an object', original: {}, patch: [1], message: /the root: patch must be an object/ },
];

for (const c of errorCases) {
  test(`error: ${c.name}`, () => {
    assert.throws(() => strategicMerge(c.original, c.patch, podSpecSchema), (err: unknown) => err instanceof StrategicMergeError && c.message.test(err.message));
  });
}

// What Istio's injector does: a rendered template (a pod with istio-init, istio-proxy and
// the volumes they use) is merged with the user's pod.
const userPod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'productpage', labels: { app: 'productpage' }, annotations: { 'proxy.istio.io/config': '{}' } },
  spec: {
    containers: [
      {
        name: 'productpage',
        image: 'bookinfo/productpage:1.0',
        ports: [{ containerPort: 9080 }],
        volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
      },
    ],
    volumes: [{ name: 'tmp', emptyDir: {} }],
  },
};

const renderedTemplate = {
  metadata: { labels: { 'security.istio.io/tlsMode': 'istio' }, annotations: { 'sidecar.istio.io/status': '{"containers":["istio-proxy"]}' } },
  spec: {
    initContainers: [{ name: 'istio-init', image: 'proxyv2', args: ['istio-iptables', '-p', '15001'] }],
    containers: [
      {
        name: 'istio-proxy',
        image: 'proxyv2',
        args: ['proxy', 'sidecar'],
        ports: [{ containerPort: 15090, name: 'http-envoy-prom', protocol: 'TCP' }],
        volumeMounts: [{ name: 'istio-envoy', mountPath: '/etc/istio/proxy' }],
      },
    ],
    volumes: [{ name: 'istio-envoy', emptyDir: { medium: 'Memory' } }],
  },
};

test('Istio-like: user pod overlaid by the rendered template', () => {
  const merged = strategicMerge(userPod, renderedTemplate, podSchema);
  assert.deepEqual(merged, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'productpage',
      labels: { app: 'productpage', 'security.istio.io/tlsMode': 'istio' },
      annotations: { 'proxy.istio.io/config': '{}', 'sidecar.istio.io/status': '{"containers":["istio-proxy"]}' },
    },
    spec: {
      containers: [renderedTemplate.spec.containers[0], userPod.spec.containers[0]],
      volumes: [renderedTemplate.spec.volumes[0], userPod.spec.volumes[0]],
      initContainers: renderedTemplate.spec.initContainers,
    },
  });
});

test('Istio-like: template overlaid by the user pod (user overrides the proxy image)', () => {
  const withOverride = structuredClone(userPod);
  withOverride.spec.containers.push({ name: 'istio-proxy', image: 'custom-proxy', ports: [], volumeMounts: [] });
  const merged = strategicMerge<unknown>(renderedTemplate, withOverride, podSchema) as typeof userPod;
  assert.deepEqual(
    merged.spec.containers.map((c) => [c.name, c.image]),
    [
      ['productpage', 'bookinfo/productpage:1.0'],
      ['istio-proxy', 'custom-proxy'],
    ],
  );
  // Empty lists in the user's container are merged, so the template's items stay.
  assert.deepEqual(merged.spec.containers[1]!.volumeMounts, [{ name: 'istio-envoy', mountPath: '/etc/istio/proxy' }]);
  assert.deepEqual(merged.spec.volumes.map((v) => v.name), ['tmp', 'istio-envoy']);
  assert.equal((merged.spec as { initContainers?: unknown[] }).initContainers?.length, 1);
});

test('prefixSchema places the pod template inside a Deployment', () => {
  const deploymentSchema = prefixSchema('spec.template', podTemplateSchema);
  const deployment = { kind: 'Deployment', spec: { replicas: 1, template: { spec: { containers: [{ name: 'app', env: [{ name: 'A', value: '1' }] }] } } } };
  const patch = { spec: { template: { spec: { containers: [{ name: 'app', env: [{ name: 'B', value: '2' }] }] } } } };
  assert.deepEqual(strategicMerge(deployment, patch, deploymentSchema), {
    kind: 'Deployment',
    spec: { replicas: 1, template: { spec: { containers: [{ name: 'app', env: [{ name: 'B', value: '2' }, { name: 'A', value: '1' }] }] } } },
  });
  // Without the schema the containers list would be replaced whole.
  assert.deepEqual((strategicMerge(deployment, patch, {}) as typeof deployment).spec.template.spec.containers, patch.spec.template.spec.containers);
});
