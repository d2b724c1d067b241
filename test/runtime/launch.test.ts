import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { capabilitySet, DEFAULT_CAPABILITIES, expandVars, isProxyImage, launchSpec, parseProbe, serviceEnvironment } from '../../src/runtime/launch.js';
import { podCommand } from '../../src/runtime/container-command.js';
import type { LaunchContext } from '../../src/runtime/launch.js';

const ctx: LaunchContext = {
  podName: 'reviews-v1-abc-xyz',
  podNamespace: 'default',
  podUid: 'uid-1',
  podIP: '10.244.0.7',
  hostIP: '10.244.0.1',
  nodeName: 'outrigger-node',
  serviceAccount: 'bookinfo-reviews',
  labels: { app: 'reviews', version: 'v1' },
  annotations: { a: 'b' },
  configMaps: new Map([['cfg', { LEVEL: 'debug', NAME: 'x' }]]),
  serviceEnv: [['RATINGS_SERVICE_HOST', '10.96.0.4']],
  runtimeVars: { OUTRIGGER_SAMPLES: '/srv/s' },
  resolveProgram: (n) => (n === 'node' ? '/usr/bin/node' : n.startsWith('/') ? n : undefined),
};

describe('expandVars', () => {
  const vars = new Map([['A', 'one'], ['B', 'two']]);
  for (const [input, out] of [
    ['$(A)-$(B)', 'one-two'],
    ['$(C)', '$(C)'],
    ['$$(A)', '$(A)'],
    ['$A', '$A'],
    ['x$(A', 'x$(A'],
  ] as const) {
    test(input, () => assert.equal(expandVars(input, vars), out));
  }
});

describe('isProxyImage', () => {
  for (const [image, yes] of [
    ['docker.io/istio/proxyv2:1.22.0', true],
    ['docker.io/outrigger/proxyv2:latest', true],
    ['outrigger:dev', true],
    ['outrigger/examples-bookinfo-ratings-v1', false],
    ['nginx', false],
  ] as const) {
    test(image, () => assert.equal(isProxyImage(image), yes));
  }
});

describe('launchSpec', () => {
  test('the istio-init container runs outrigger istio-iptables as root', () => {
    const spec = launchSpec({ name: 'istio-init', image: 'docker.io/outrigger/proxyv2:latest', args: ['istio-iptables', '-p', '15001', '-u', '1337'], securityContext: { runAsUser: 0, capabilities: { add: ['NET_ADMIN'] } } }, {}, true, ctx, 'spec.initContainers[0]');
    assert.deepEqual([spec.program, spec.args, spec.uid, spec.init, spec.restartPolicy], [{ kind: 'outrigger' }, ['istio-iptables', '-p', '15001', '-u', '1337'], 0, true, 'OnFailure']);
  });
  test('the proxy: uid/gid from its securityContext, fieldRef and resourceFieldRef env', () => {
    const spec = launchSpec(
      {
        name: 'istio-proxy',
        image: 'docker.io/outrigger/proxyv2:latest',
        args: ['proxy', 'sidecar', '--domain', '$(POD_NAMESPACE).svc.cluster.local'],
        env: [
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'INSTANCE_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'SERVICE_ACCOUNT', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
          { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
          { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          { name: 'VERSION', valueFrom: { fieldRef: { fieldPath: "metadata.labels['version']" } } },
          { name: 'ISTIO_CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
          { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        ],
        resources: { limits: { cpu: '2000m', memory: '1024Mi' } },
        securityContext: { runAsUser: 1337, runAsGroup: 1337 },
      },
      {},
      false,
      ctx,
      'spec.containers[1]',
    );
    assert.deepEqual([spec.uid, spec.gid], [1337, 1337]);
    assert.deepEqual(spec.args, ['proxy', 'sidecar', '--domain', 'default.svc.cluster.local']);
    const env = Object.fromEntries(spec.env);
    assert.deepEqual(
      [env['POD_NAME'], env['POD_NAMESPACE'], env['INSTANCE_IP'], env['SERVICE_ACCOUNT'], env['HOST_IP'], env['NODE'], env['VERSION'], env['ISTIO_CPU_LIMIT'], env['MEM'], env['RATINGS_SERVICE_HOST']],
      ['reviews-v1-abc-xyz', 'default', '10.244.0.7', 'bookinfo-reviews', '10.244.0.1', 'outrigger-node', 'v1', '2', '1024', '10.96.0.4'],
    );
  });
  test('pod securityContext, workingDir, envFrom and configMapKeyRef', () => {
    const spec = launchSpec(
      { name: 'app', image: 'x', command: ['node', 'main.js'], workingDir: '/srv', envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'C_' }], env: [{ name: 'L', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'LEVEL' } } }, { name: 'M', value: 'level=$(L)' }] },
      { securityContext: { runAsUser: 1000, runAsGroup: 1000 }, restartPolicy: 'Never' },
      false,
      ctx,
      'spec.containers[0]',
    );
    assert.deepEqual([spec.uid, spec.gid, spec.workingDir, spec.restartPolicy], [1000, 1000, '/srv', 'Never']);
    const env = Object.fromEntries(spec.env);
    assert.deepEqual([env['C_LEVEL'], env['C_NAME'], env['L'], env['M']], ['debug', 'x', 'debug', 'level=debug']);
  });
  test('a native sidecar', () => {
    const spec = launchSpec({ name: 'istio-proxy', image: 'proxyv2', restartPolicy: 'Always', readinessProbe: { tcpSocket: { port: 15021 } } }, {}, true, ctx, 'spec.initContainers[1]');
    assert.deepEqual([spec.nativeSidecar, spec.restartPolicy, spec.readinessProbe?.action], [true, 'Always', { kind: 'tcp', port: 15021 }]);
  });
  test('lifecycle hooks: pilot-agent in the proxy image runs as outrigger; sleep; httpGet', () => {
    const proxy = launchSpec({ name: 'istio-proxy', image: 'docker.io/outrigger/proxyv2:latest', args: ['proxy'], lifecycle: { postStart: { exec: { command: ['pilot-agent', 'wait'] } }, preStop: { sleep: { seconds: 5 } } } }, {}, false, ctx, 'c');
    assert.deepEqual([proxy.postStart, proxy.preStop], [{ kind: 'exec', command: ['wait'], outrigger: true }, { kind: 'sleep', seconds: 5 }]);
    const app = launchSpec({ name: 'a', image: 'x', command: ['node'], lifecycle: { postStart: { exec: { command: ['pilot-agent', 'wait'] } }, preStop: { httpGet: { path: '/quit', port: 8080 } } } }, {}, false, ctx, 'c');
    assert.deepEqual(app.postStart, { kind: 'exec', command: ['pilot-agent', 'wait'] }, 'only the proxy image has pilot-agent');
    assert.equal(app.preStop?.kind, 'http');
    assert.throws(() => launchSpec({ name: 'a', image: 'x', command: ['node'], lifecycle: { postStart: { grpc: {} } } }, {}, false, ctx, 'c'), /c.lifecycle.postStart: needs exec, httpGet, tcpSocket or sleep/);
  });
  test('errors name the field', () => {
    assert.throws(() => launchSpec({ name: 'a', image: 'nginx:1' }, {}, false, ctx, 'spec.containers[0]'), /^Error: spec.containers\[0\].command: image "nginx:1" is not a known local program/);
    assert.throws(() => launchSpec({ image: 'x' }, {}, false, ctx, 'spec.containers[2]'), /spec.containers\[2\].name: is required/);
    assert.throws(() => launchSpec({ name: 'a', image: 'x', command: ['node'], env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'status.phase' } } }] }, {}, false, ctx, 'c'), /c.env\[0\].valueFrom.fieldRef.fieldPath: fieldPath "status.phase" is not supported/);
    assert.throws(() => launchSpec({ name: 'a', image: 'x', command: ['node'], envFrom: [{ configMapRef: { name: 'nope' } }] }, {}, false, ctx, 'c'), /c.envFrom\[0\].configMapRef.name: ConfigMap "default\/nope" is not in the manifests/);
  });
});

describe('capabilitySet', () => {
  const defaults = DEFAULT_CAPABILITIES.map((c) => c.toLowerCase());
  for (const [name, sc, expected] of [
    ['no securityContext: the container runtime default', undefined, defaults],
    ['istio-init: drop ALL, add NET_ADMIN and NET_RAW', { capabilities: { drop: ['ALL'], add: ['NET_ADMIN', 'NET_RAW'] } }, ['net_admin', 'net_raw']],
    ['drop one of the defaults', { capabilities: { drop: ['NET_RAW'] } }, defaults.filter((c) => c !== 'net_raw')],
    ['CAP_ prefix and lower case accepted', { capabilities: { drop: ['all'], add: ['cap_sys_time'] } }, ['sys_time']],
    ['privileged', { privileged: true }, 'all'],
    ['add ALL', { capabilities: { add: ['ALL'] } }, 'all'],
  ] as const) {
    test(name, () => assert.deepEqual(capabilitySet(sc, 's'), expected));
  }
  test('an unknown capability is an error naming the field', () => assert.throws(() => capabilitySet({ capabilities: { add: ['NET_MAGIC'] } }, 'spec.containers[0].securityContext'), /spec.containers\[0\].securityContext.capabilities.add: "NET_MAGIC" is not a Linux capability/));
});

describe('podCommand', () => {
  test('root with a reduced capability set', () => assert.deepEqual(podCommand('ns', 0, 0, ['iptables-restore'], ['net_admin', 'net_raw']), ['ip', 'netns', 'exec', 'ns', 'setpriv', '--bounding-set=-all,+net_admin,+net_raw', '--', 'iptables-restore']));
  test('root with every capability', () => assert.deepEqual(podCommand('ns', 0, 0, ['sh'], 'all'), ['ip', 'netns', 'exec', 'ns', 'sh']));
  test('another uid', () => assert.deepEqual(podCommand('ns', 1337, 1337, ['node'], ['net_admin']), ['ip', 'netns', 'exec', 'ns', 'setpriv', '--reuid=1337', '--regid=1337', '--clear-groups', '--', 'node']));
});

describe('parseProbe', () => {
  const container = { ports: [{ name: 'http', containerPort: 9080 }] };
  test('httpGet with a named port and defaults', () => {
    assert.deepEqual(parseProbe({ httpGet: { path: '/health', port: 'http', httpHeaders: [{ name: 'X', value: '1' }] } }, container, 'p'), {
      action: { kind: 'http', port: 9080, path: '/health', scheme: 'HTTP', headers: [['X', '1']] },
      initialDelaySeconds: 0,
      periodSeconds: 10,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 3,
    });
  });
  test('exec', () => assert.deepEqual(parseProbe({ exec: { command: ['cat', '/tmp/ok'] }, periodSeconds: 2 }, container, 'p')?.action, { kind: 'exec', command: ['cat', '/tmp/ok'] }));
  test('grpc is refused with a reason', () => assert.throws(() => parseProbe({ grpc: { port: 1 } }, container, 'p'), /p: needs httpGet, tcpSocket or exec/));
});

test('serviceEnvironment', () => {
  assert.deepEqual(serviceEnvironment([{ name: 'my-svc', clusterIP: '10.96.0.3', ports: [{ name: 'http', port: 9080 }, { name: 'grpc-x', port: 9090 }] }, { name: 'headless', clusterIP: 'None', ports: [{ port: 1 }] }]), [
    ['MY_SVC_SERVICE_HOST', '10.96.0.3'],
    ['MY_SVC_SERVICE_PORT', '9080'],
    ['MY_SVC_SERVICE_PORT_HTTP', '9080'],
    ['MY_SVC_SERVICE_PORT_GRPC_X', '9090'],
  ]);
});
