// The pod runner on real namespaces: the injected istio-init container really
// runs `outrigger istio-iptables` in the pod's namespace; init containers run in
// order before the app; env from fieldRef/ConfigMap, workingDir and uid are
// honoured; readiness decides whether a Service VIP has endpoints; a failed
// liveness probe and a crashing container are restarted with back-off; a pod
// with restartPolicy Never completes. Everything is removed afterwards.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { e2eUnavailable } from './netns.js';
import { startCluster } from '../../src/runtime/index.js';
import type { RunningCluster } from '../../src/runtime/index.js';
import { podRow } from '../../src/runtime/status.js';
import { buildModel } from '../../src/discovery/model.js';
import { loadRegistryDir } from '../../src/discovery/registry-dir.js';

const skip = e2eUnavailable();
const id = randomBytes(3).toString('hex');
const prefix = `ortest-rt-${id}-`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'ortest-rt-pods-'));
// uid 1000 looks for the files below: the directory must be open to it.
chmodSync(dir, 0o755);
const readyFile = path.join(dir, 'ready');
const killFile = path.join(dir, 'kill');
const hookFile = path.join(dir, 'post-start');
const stopFile = path.join(dir, 'pre-stop');

// Pods share the machine's file system (only the network is separate), which lets the
// test flip a readiness or liveness answer by creating a file.
const MANIFESTS = `
apiVersion: v1
kind: Namespace
metadata: {name: rt}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: rt}
data: {GREETING: hello}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: rt}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: rt, labels: {app: web}}
spec:
  initContainers:
  - name: istio-init
    image: docker.io/outrigger/proxyv2:latest
    args: [istio-iptables, -p, "15001", -z, "15006", -u, "1337", -m, REDIRECT, -i, "10.255.255.0/24", -x, "", -b, "9999", -d, "15090,15021,15020"]
    securityContext: {runAsUser: 0, runAsGroup: 0, capabilities: {add: [NET_ADMIN, NET_RAW], drop: [ALL]}}
  - name: second
    image: busybox
    command: [sh, -c, 'echo "second init ran as $(id -u)"']
  containers:
  - name: web
    image: example/web
    command: [node, -e, "require('http').createServer((q, s) => { s.statusCode = q.url === '/ready' && !require('fs').existsSync('${readyFile}') ? 503 : 200; s.end(process.env.POD_NAME + ' ' + q.url) }).listen(8080)"]
    workingDir: /tmp
    securityContext: {runAsUser: 1000, runAsGroup: 1000}
    env:
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    ports: [{name: http, containerPort: 8080}]
    readinessProbe: {httpGet: {path: /ready, port: http}, periodSeconds: 1}
    livenessProbe: {exec: {command: [sh, -c, 'test ! -e ${killFile}']}, periodSeconds: 1, failureThreshold: 1}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: rt}
spec:
  containers:
  - name: client
    image: busybox
    command: [sh, -c, 'echo "$POD_NAME $POD_NAMESPACE $INSTANCE_IP $SA $GREETING $(pwd) $(id -u):$(id -g) $WEB_SERVICE_HOST"; exec sleep 3600']
    workingDir: /tmp
    securityContext: {runAsUser: 1000, runAsGroup: 1000}
    env:
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: POD_NAMESPACE, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
    - {name: INSTANCE_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: SA, valueFrom: {fieldRef: {fieldPath: spec.serviceAccountName}}}
    - {name: GREETING, valueFrom: {configMapKeyRef: {name: cfg, key: GREETING}}}
---
apiVersion: v1
kind: Pod
metadata: {name: crasher, namespace: rt}
spec:
  containers:
  - name: crasher
    image: busybox
    command: [sh, -c, 'echo started; exit 3']
---
apiVersion: v1
kind: Pod
metadata: {name: once, namespace: rt}
spec:
  restartPolicy: Never
  containers:
  - name: once
    image: busybox
    command: [sh, -c, 'echo done']
---
apiVersion: v1
kind: Pod
metadata: {name: hooks, namespace: rt}
spec:
  containers:
  - name: first
    image: busybox
    command: [sleep, "3600"]
    lifecycle:
      postStart: {exec: {command: [sh, -c, 'sleep 0.5; touch ${hookFile}']}}
      preStop: {exec: {command: [sh, -c, 'touch ${stopFile}']}}
  - name: second
    image: busybox
    command: [sh, -c, 'test -e ${hookFile} && echo "first postStart had finished"; exec sleep 3600']
  - name: nocaps
    image: busybox
    command: [sh, -c, 'iptables-save >/dev/null 2>&1 && echo "root with all" || echo "root without NET_ADMIN"; exec sleep 3600']
    securityContext: {capabilities: {drop: [ALL]}}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: rt}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 5432}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: rt}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: busybox, command: [sleep, "3600"]}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: job, namespace: rt}
spec:
  template:
    spec:
      restartPolicy: Never
      initContainers:
      - name: sidecar
        image: busybox
        restartPolicy: Always
        command: [sh, -c, 'echo sidecar up; exec sleep 3600']
        startupProbe: {exec: {command: ['true']}, periodSeconds: 1}
      containers:
      - name: work
        image: busybox
        command: [sh, -c, 'sleep 0.3; echo worked']
`;

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the pod runner', { skip }, () => {
  let cluster: RunningCluster;
  const pod = (name: string) => cluster.pods.find((p) => p.pod.name === name)!;
  const row = (name: string) => podRow(pod(name).status());
  const inPod = (name: string, args: string[]) => spawnSync('ip', ['netns', 'exec', pod(name).pod.netns, ...args], { encoding: 'utf8', timeout: 5000 });
  const log = (name: string, container = name) => {
    const file = cluster.state.logFile('rt', name, container);
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  };

  before(async () => {
    writeFileSync(path.join(dir, 'pods.yaml'), MANIFESTS);
    cluster = await startCluster({
      manifests: [path.join(dir, 'pods.yaml')],
      stateDir: path.join(dir, 'state'),
      netnsPrefix: prefix,
      podCidr: '10.244.0.0/16',
      serviceCidr: '10.96.0.0/16',
      sidecars: false,
      discovery: true,
      backoff: { initialMs: 200, maxMs: 400, resetAfterMs: 60_000 },
      graceMs: 1000,
      log: () => {},
    });
  });

  after(async () => {
    await cluster?.stop();
    for (const ns of spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(prefix))) spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('istio-init runs outrigger istio-iptables in the pod namespace, then the next init container, then the app', async () => {
    await until('web running', () => pod('web').status().containers[0]!.state.kind === 'running');
    assert.deepEqual(pod('web').status().initContainers.map((c) => c.state.kind === 'terminated' && c.state.exitCode), [0, 0]);
    const rules = inPod('web', ['iptables-save']).stdout;
    assert.match(rules, /-A ISTIO_OUTPUT .*-j ISTIO_REDIRECT/);
    assert.match(rules, /-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001/);
    assert.match(rules, /-A ISTIO_INBOUND -p tcp -m tcp --dport 9999 -j ISTIO_IN_REDIRECT/);
    assert.match(log('web', 'second'), /^second init ran as 0$/m);
    // The node namespace has no ISTIO rules: capture is the pod's alone.
    assert.doesNotMatch(spawnSync('ip', ['netns', 'exec', cluster.plan.nodeNetns, 'iptables-save'], { encoding: 'utf8' }).stdout, /ISTIO_/);
  });

  test('env from fieldRef and ConfigMaps, service variables, workingDir and uid/gid', async () => {
    const line = await until('client output', () => log('client').trim() || undefined);
    const client = pod('client').pod;
    const web = cluster.plan.services.find((s) => s.name === 'web')!;
    assert.equal(line, `client rt ${client.ip} default hello /tmp 1000:1000 ${web.clusterIP}`);
  });

  test('readiness decides the endpoints behind the VIP', async () => {
    const web = cluster.plan.services.find((s) => s.name === 'web')!;
    await until('web probed', () => pod('web').status().containers[0]!.state.kind === 'running');
    assert.equal(row('web').ready, '0/1');
    const refused = inPod('client', ['curl', '-s', '-m', '2', '-o', '/dev/null', '-w', '%{http_code}', `http://web.rt:80/`]);
    assert.equal(refused.stdout, '000', 'no ready endpoint: the VIP refuses');
    await until('an Unhealthy event', () => pod('web').events.some((e) => e.type === 'Warning' && e.reason === 'Unhealthy' && e.message === 'Readiness probe failed: HTTP probe failed with statuscode: 503'));
    writeFileSync(readyFile, '');
    await until('web ready', () => row('web').ready === '1/1');
    await until('VIP answering', () => inPod('client', ['curl', '-s', '-m', '2', `http://web.rt.svc.cluster.local/hello`]).stdout === 'web /hello');
    assert.equal(inPod('client', ['curl', '-s', '-m', '2', `http://${web.clusterIP}/x`]).stdout, 'web /x');
    assert.equal(row('web').status, 'Running');
    // Discovery's registry directory follows: web's endpoint is ready there too.
    await until('registry updated', () => {
      const model = buildModel(loadRegistryDir(cluster.state.registryDir));
      return model.endpoints.get('web.rt.svc.cluster.local|80')?.[0]?.ready === true;
    });
  });

  test('--discovery runs the control plane as istiod, reachable by name through its VIP', async () => {
    const istiod = cluster.pods.find((p) => p.pod.namespace === 'istio-system')!;
    assert.match(istiod.pod.name, /^istiod-[a-z0-9]{10}-[a-z0-9]{5}$/);
    await until('istiod ready', () => podRow(istiod.status()).ready === '1/1', 15_000);
    assert.equal(inPod('client', ['curl', '-s', '-m', '2', 'http://istiod.istio-system.svc:15014/ready']).stdout, 'ready\n');
    // It serves the runtime's registry: the reload counter shows it read it.
    assert.match(inPod('client', ['curl', '-s', '-m', '2', 'http://istiod.istio-system.svc.cluster.local:15014/metrics']).stdout, /^outrigger_config_reloads_total \d+$/m);
  });

  test('a headless Service names its pods; StatefulSet pods have stable names', () => {
    const ip = (name: string) => pod(name).pod.ip;
    assert.equal(inPod('client', ['getent', 'hosts', 'db-1.db.rt.svc.cluster.local']).stdout.split(/\s+/)[0], ip('db-1'));
    assert.deepEqual(inPod('client', ['getent', 'ahostsv4', 'db.rt']).stdout.split('\n').filter((l) => l.includes('STREAM')).map((l) => l.split(/\s+/)[0]).sort(), [ip('db-0'), ip('db-1')].sort());
    assert.equal(cluster.plan.services.find((s) => s.name === 'db')!.clusterIP, 'None');
  });

  test('a failed liveness probe restarts the container', async () => {
    await until('web ready', () => row('web').ready === '1/1');
    writeFileSync(killFile, '');
    await until('a restart', () => pod('web').status().containers[0]!.restartCount >= 1);
    assert.ok(pod('web').events.some((e) => e.reason === 'Killing' && e.message === 'Container web failed liveness probe, will be restarted'));
    assert.ok(pod('web').events.some((e) => e.reason === 'Unhealthy' && e.message.startsWith('Liveness probe failed: command [sh -c test ! -e')));
    rmSync(killFile);
    await until('running again', () => row('web').ready === '1/1' && row('web').status === 'Running');
  });

  test('a crashing container is restarted with back-off', async () => {
    await until('two restarts', () => row('crasher').restarts >= 2);
    assert.ok(['CrashLoopBackOff', 'Error', 'Running'].includes(row('crasher').status), row('crasher').status);
    assert.ok(log('crasher').split('\n').filter((l) => l === 'started').length >= 2);
    assert.ok(pod('crasher').events.some((e) => e.reason === 'BackOff' && e.count >= 2), JSON.stringify(pod('crasher').events));
  });

  test('restartPolicy Never: the pod completes', async () => {
    await until('completed', () => row('once').status === 'Completed');
    assert.equal(pod('once').phase(), 'Succeeded');
    assert.deepEqual(row('once'), { ready: '0/1', status: 'Completed', restarts: 0 });
  });

  test('a native sidecar starts before the app and is stopped when a Job\'s app finishes', async () => {
    const job = cluster.pods.find((p) => p.pod.name.startsWith('job-'))!;
    assert.equal(job.pod.labels['job-name'], 'job');
    await until('job completed', () => podRow(job.status()).status === 'Completed' && job.status().initContainers[0]!.state.kind === 'terminated');
    assert.equal(job.phase(), 'Succeeded');
    assert.deepEqual(podRow(job.status()), { ready: '0/2', status: 'Completed', restarts: 0 });
    assert.match(log(job.pod.name, 'sidecar'), /sidecar up/);
    assert.match(log(job.pod.name, 'work'), /worked/);
  });

  test('the next container starts after the previous one\'s postStart hook (holdApplicationUntilProxyStarts)', async () => {
    assert.equal(await until('second container output', () => log('hooks', 'second').trim() || undefined), 'first postStart had finished');
  });

  test('a root container gets only the capabilities its securityContext grants', async () => {
    assert.equal(await until('nocaps output', () => log('hooks', 'nocaps').trim() || undefined), 'root without NET_ADMIN');
  });

  test('stopping removes every namespace and /etc/netns file', async () => {
    const netns = [cluster.plan.nodeNetns, ...cluster.plan.pods.map((p) => p.netns)];
    await cluster.stop();
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    for (const ns of netns) assert.ok(!left.includes(ns), ns);
    for (const ns of netns) assert.equal(existsSync(path.join('/etc/netns', ns)), false);
    assert.equal(existsSync(path.join(dir, 'state', 'state.json')), false);
    assert.ok(existsSync(stopFile), 'the preStop hook ran before the container was stopped');
  });
});
