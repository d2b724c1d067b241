// Sidecar injection in the runtime goes through the same code path as kube-inject and
// the webhook (injectObject with the project's default template): the planned pod has
// istio-init running `outrigger istio-iptables` with the injector's arguments as root
// with NET_ADMIN and NET_RAW only, and istio-proxy running the outrigger CLI as 1337.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { planFromManifests } from '../../src/runtime/supervisor.js';

const MANIFESTS = `apiVersion: v1
kind: Namespace
metadata: {name: mesh, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ratings-v1, namespace: mesh}
spec:
  selector: {matchLabels: {app: ratings}}
  template:
    metadata: {labels: {app: ratings, version: v1}}
    spec:
      containers:
      - {name: ratings, image: outrigger/examples-bookinfo-ratings-v1, command: [node, x.mjs], ports: [{containerPort: 9080}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: opted-out, namespace: mesh}
spec:
  selector: {matchLabels: {app: out}}
  template:
    metadata: {labels: {app: out, sidecar.istio.io/inject: "false"}}
    spec:
      containers: [{name: c, image: x, command: [sleep]}]
`;

test('an injected pod as the runtime plans it', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ortest-rt-inject-'));
  try {
    writeFileSync(path.join(dir, 'm.yaml'), MANIFESTS);
    const options = { manifests: [path.join(dir, 'm.yaml')], stateDir: dir, netnsPrefix: 'x-', podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/16' };
    const plan = planFromManifests({ ...options, sidecars: true }, { OUTRIGGER_SAMPLES: '/s' });
    const [ratings, out] = plan.pods;
    assert.equal(ratings!.injected, true);
    assert.match(ratings!.annotations['sidecar.istio.io/status'] ?? '', /"initContainers":\["istio-init"\]/);
    const init = ratings!.initContainers[0]!;
    assert.deepEqual([init.container, init.program, init.uid, init.capabilities], ['istio-init', { kind: 'outrigger' }, 0, ['net_admin', 'net_raw']]);
    assert.deepEqual(init.args.slice(0, 9), ['istio-iptables', '-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT']);
    const proxy = ratings!.containers.find((c) => c.container === 'istio-proxy')!;
    assert.deepEqual([proxy.program, proxy.args[0], proxy.uid, proxy.gid], [{ kind: 'outrigger' }, 'proxy', 1337, 1337]);
    const env = Object.fromEntries(proxy.env);
    assert.deepEqual([env['POD_NAME'], env['POD_NAMESPACE'], env['INSTANCE_IP'], env['SERVICE_ACCOUNT']], [ratings!.name, 'mesh', ratings!.ip, 'default']);
    assert.equal(proxy.readinessProbe?.action.kind, 'http');
    assert.equal(out!.injected, false, 'sidecar.istio.io/inject: "false" is honoured');
    const off = planFromManifests({ ...options, sidecars: false }, { OUTRIGGER_SAMPLES: '/s' });
    assert.equal(off.pods[0]!.injected, false);
    assert.deepEqual(off.pods[0]!.containers.map((c) => c.container), ['ratings']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
