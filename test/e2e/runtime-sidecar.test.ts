// A namespace labelled istio-injection=enabled on the runtime: the pod is injected
// through the shared injector, and its istio-init container really installs Istio's
// capture rules in the pod's network namespace with exactly the injector's arguments
// (capture everything, except the proxy's own ports 15090, 15021 and 15020). No
// istiod runs here, so the sidecar never becomes ready; runtime-mesh.test.ts covers
// sidecars with discovery.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { e2eUnavailable } from './netns.js';
import { startCluster } from '../../src/runtime/index.js';
import type { RunningCluster } from '../../src/runtime/index.js';
import { podRow } from '../../src/runtime/status.js';

const skip = e2eUnavailable();
const prefix = `ortest-rt-${randomBytes(3).toString('hex')}-`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'ortest-rt-sidecar-'));

const MANIFESTS = `apiVersion: v1
kind: Namespace
metadata: {name: mesh, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: mesh}
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app, version: v1}}
    spec:
      containers:
      - {name: app, image: example/app, command: [sleep, "3600"], ports: [{containerPort: 9080}]}
`;

describe('an injected pod on the runtime', { skip }, () => {
  let cluster: RunningCluster;

  before(async () => {
    writeFileSync(path.join(dir, 'mesh.yaml'), MANIFESTS);
    cluster = await startCluster({ manifests: [path.join(dir, 'mesh.yaml')], stateDir: path.join(dir, 'state'), netnsPrefix: prefix, podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/16', sidecars: true, backoff: { initialMs: 1000, maxMs: 2000, resetAfterMs: 60_000 }, graceMs: 500, log: () => {} });
  });

  after(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('istio-init installs the injector\'s capture rules; the pod has app and istio-proxy', async () => {
    const runner = cluster.pods[0]!;
    const deadline = Date.now() + 10_000;
    while (runner.status().containers[0]?.state.kind !== 'running' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const init = runner.status().initContainers[0]!;
    assert.deepEqual([init.name, init.state.kind === 'terminated' && init.state.exitCode], ['istio-init', 0]);
    assert.deepEqual(runner.status().containers.map((c) => c.name), ['app', 'istio-proxy']);
    assert.match(podRow(runner.status()).ready, /^[012]\/2$/);
    const rules = spawnSync('ip', ['netns', 'exec', runner.pod.netns, 'iptables-save', '-t', 'nat'], { encoding: 'utf8' }).stdout;
    for (const expected of [
      /^-A PREROUTING -p tcp -j ISTIO_INBOUND$/m,
      /^-A OUTPUT -p tcp -j ISTIO_OUTPUT$/m,
      /^-A ISTIO_INBOUND -p tcp -m tcp --dport 15090 -j RETURN$/m,
      /^-A ISTIO_INBOUND -p tcp -m tcp --dport 15021 -j RETURN$/m,
      /^-A ISTIO_INBOUND -p tcp -m tcp --dport 15020 -j RETURN$/m,
      /^-A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT$/m,
      /^-A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006$/m,
      /^-A ISTIO_OUTPUT .*--uid-owner 1337 -j RETURN$/m,
      /^-A ISTIO_OUTPUT -j ISTIO_REDIRECT$/m,
      /^-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001$/m,
    ]) {
      assert.match(rules, expected);
    }
  });
});
