import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describePod } from '../../src/runtime/describe.js';
import { parseManifests } from '../../src/runtime/manifests.js';
import { planCluster } from '../../src/runtime/plan.js';

const plan = planCluster(
  parseManifests(
    `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}, annotations: {note: hi}}
    spec:
      initContainers:
      - {name: istio-init, image: docker.io/outrigger/proxyv2:latest, args: [istio-iptables, -p, "15001"]}
      containers:
      - name: web
        image: example/web
        command: [node, server.js]
        env: [{name: MODE, value: fast}]
        readinessProbe: {httpGet: {path: /ready, port: 8080}, periodSeconds: 2}
        securityContext: {runAsUser: 1000}
`,
    'web.yaml',
  ),
  { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/16', netnsPrefix: 'or-', resolveProgram: (n) => `/usr/bin/${n}` },
);

test('describe pod: identity, containers with state and probes, conditions', () => {
  const pod = plan.pods[0]!;
  const T = '2026-01-01T00:00:00Z';
  const text = describePod(
    pod,
    {
      namespace: 'default',
      name: pod.name,
      phase: 'Running',
      ready: true,
      startedAt: T,
      status: {
        initialized: true,
        initContainers: [{ name: 'istio-init', state: { kind: 'terminated', exitCode: 0, reason: 'Completed', finishedAt: T }, ready: false, started: false, restartCount: 0 }],
        containers: [{ name: 'web', state: { kind: 'running', startedAt: T }, ready: true, started: true, restartCount: 2 }],
      },
    },
    'outrigger-node',
    '10.244.0.1',
  );
  const lines = text.split('\n');
  for (const expected of [
    `Name:             ${pod.name}`,
    'Node:             outrigger-node/10.244.0.1',
    'Labels:           app=web',
    `                  pod-template-hash=${pod.labels['pod-template-hash']}`,
    'Annotations:      note=hi',
    'Status:           Running',
    'IP:               10.244.0.2',
    `Controlled By:    ReplicaSet/${pod.owner!.name}`,
    'Init Containers:',
    '      outrigger (the local Outrigger CLI)',
    '      istio-iptables',
    '      Reason:       Completed',
    '      Exit Code:    0',
    '      /usr/bin/node',
    '      server.js',
    '    State:          Running',
    '    Restart Count:  2',
    '    User:           1000:0',
    '    Readiness:      http-get http://:8080/ready delay=0s timeout=1s period=2s #success=1 #failure=3',
    '      MODE:  fast',
    '  Initialized       True',
    '  Ready             True',
  ]) {
    assert.ok(lines.includes(expected), `missing ${JSON.stringify(expected)} in:\n${text}`);
  }
});

test('describe pod before the supervisor has reported', () => {
  assert.match(describePod(plan.pods[0]!, undefined, 'n', '10.244.0.1'), /Status:\s+Pending[\s\S]*Reason:\s+ContainerCreating[\s\S]*Ready\s+False/);
});
