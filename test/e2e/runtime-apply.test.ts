// `outrigger apply -f` / `delete -f` of workloads and Services while a mesh runs:
// a new Service and Deployment come up with sidecars and are called by name from
// a pod that was already running; a changed template replaces the pod (new name,
// the old namespace gone); a manifest with a problem changes nothing; delete
// stops the pods and removes their namespaces and names.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { e2eUnavailable, repoRoot } from './netns.js';

const skip = e2eUnavailable();
const prefix = `ortest-rta-${randomBytes(3).toString('hex')}-`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'ortest-rt-apply-'));
const stateDir = path.join(dir, 'state');

function cli(args: string[], timeout = 60_000) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli/main.ts'), args[0]!, '--state-dir', stateDir, ...args.slice(1)], { cwd: repoRoot, encoding: 'utf8', timeout });
  return { status: result.status ?? 1, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

function ourNetns(): string[] {
  return spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(prefix));
}

const BASE = `apiVersion: v1
kind: Namespace
metadata: {name: default, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: client, namespace: default}
spec:
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec:
      containers:
      - {name: client, image: example/client, command: [sleep, "3600"], securityContext: {runAsUser: 1000, runAsGroup: 1000}}
`;

const echo = (version: string) => `apiVersion: v1
kind: Service
metadata: {name: echo, namespace: default}
spec: {selector: {app: echo}, ports: [{name: http, port: 8080}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: echo, namespace: default}
spec:
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec:
      containers:
      - name: echo
        image: example/echo
        command: [node, -e, "require('http').createServer((q, s) => s.end('echo ' + process.env.VERSION)).listen(8080)"]
        env: [{name: VERSION, value: "${version}"}]
        securityContext: {runAsUser: 1000, runAsGroup: 1000}
`;

/** Rows of `get pods`: name, ready, status. */
function pods(): string[][] {
  const get = cli(['get', 'pods']);
  assert.equal(get.status, 0, get.stderr);
  return get.stdout.trim().split('\n').slice(1).map((r) => r.split(/\s{2,}/));
}

const podNamed = (app: string) => pods().find((p) => p[0]!.startsWith(`${app}-`))?.[0];

async function until<T>(what: string, probe: () => T | undefined, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`${what}: not within ${ms / 1000} s; pods: ${JSON.stringify(pods())}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

const callEcho = () => cli(['exec', podNamed('client')!, '--', 'curl', '-s', '-S', '-m', '3', 'http://echo:8080/']).stdout;

describe('apply and delete of workloads while the mesh runs', { skip }, () => {
  after(() => {
    if (existsSync(path.join(stateDir, 'state.json'))) cli(['down']);
    for (const ns of ourNetns()) spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('up: the client pod with its sidecar', () => {
    writeFileSync(path.join(dir, 'base.yaml'), BASE);
    const up = cli(['up', '-f', path.join(dir, 'base.yaml'), '--discovery', '--netns-prefix', prefix, '--pod-cidr', '10.243.0.0/16', '--service-cidr', '10.95.0.0/16', '--wait', '60'], 90_000);
    assert.equal(up.status, 0, up.stderr + up.stdout);
    assert.deepEqual(pods().map((p) => [p[0]!.replace(/-[a-z0-9]{10}-[a-z0-9]{5}$/, ''), p[1], p[2]]), [['client', '2/2', 'Running']]);
  });

  let firstEcho = '';
  test('a new Service and Deployment: created, injected, and called by name from the running client through the mesh', async () => {
    writeFileSync(path.join(dir, 'echo-v1.yaml'), echo('v1'));
    const apply = cli(['apply', '-f', path.join(dir, 'echo-v1.yaml')]);
    assert.equal(apply.status, 0, apply.stderr);
    assert.equal(apply.stdout, 'service/echo created\ndeployment.apps/echo created\n');
    firstEcho = await until('echo 2/2', () => pods().find((p) => p[0]!.startsWith('echo-') && p[1] === '2/2')?.[0]);
    await until('echo answers the client', () => (callEcho() === 'echo v1' ? true : undefined));
    assert.match(cli(['get', 'deploy']).stdout, /^echo\s+1\/1\s+1\s+1\s+\S+$/m);
    const again = cli(['apply', '-f', path.join(dir, 'echo-v1.yaml')]);
    assert.equal(again.stdout, 'service/echo unchanged\ndeployment.apps/echo unchanged\n');
    // The client's sidecar learnt the new Service from discovery: its cluster carries the call.
    // (Eventually, as in Istio: until discovery's push arrives, a VIP call leaves through the passthrough cluster.)
    await until("the client's sidecar carries calls to echo in echo's own cluster", () => {
      callEcho();
      const stats = cli(['exec', podNamed('client')!, '--', 'curl', '-s', 'http://127.0.0.1:15000/stats?filter=echo.*upstream_rq_2xx']);
      return /^cluster\.outbound\|8080\|\|echo\.default\.svc\.cluster\.local\.upstream_rq_2xx: [1-9]/m.test(stats.stdout) ? true : undefined;
    });
  });

  test('a changed template replaces the pod: a new name, the old pod and its namespace gone', async () => {
    writeFileSync(path.join(dir, 'echo-v2.yaml'), echo('v2'));
    const apply = cli(['apply', '-f', path.join(dir, 'echo-v2.yaml')]);
    assert.equal(apply.status, 0, apply.stderr);
    assert.equal(apply.stdout, 'service/echo unchanged\ndeployment.apps/echo configured\n');
    const second = await until('the new echo pod 2/2', () => pods().find((p) => p[0]!.startsWith('echo-') && p[0] !== firstEcho && p[1] === '2/2')?.[0]);
    assert.ok(!pods().some((p) => p[0] === firstEcho), 'the old pod is gone');
    assert.ok(!ourNetns().some((n) => n.endsWith(firstEcho)), 'its network namespace is gone');
    assert.ok(ourNetns().some((n) => n.endsWith(second)));
    await until('echo v2 answers', () => (callEcho() === 'echo v2' ? true : undefined));
  });

  test('a manifest with a problem is refused, naming it, and nothing changes', () => {
    const bad = echo('v3').replace('containers:\n      - name: echo', 'serviceAccountName: nobody\n      containers:\n      - name: echo');
    writeFileSync(path.join(dir, 'bad.yaml'), bad);
    const before = pods();
    const apply = cli(['apply', '-f', path.join(dir, 'bad.yaml')]);
    assert.equal(apply.status, 1);
    assert.match(apply.stderr, /serviceAccountName: ServiceAccount "default\/nobody" is not in the manifests/);
    assert.deepEqual(pods().map((p) => p[0]), before.map((p) => p[0]));
    const call = cli(['exec', podNamed('client')!, '--', 'curl', '-s', '-S', '-m', '3', '-w', ' %{http_code}', 'http://echo:8080/']);
    assert.equal(call.stdout, 'echo v2 200', call.stderr);
  });

  test('delete -f stops the pods and removes their namespaces and the Service name', async () => {
    const del = cli(['delete', '-f', path.join(dir, 'echo-v2.yaml')]);
    assert.equal(del.status, 0, del.stderr);
    assert.equal(del.stdout, 'service "echo" deleted\ndeployment.apps "echo" deleted\n');
    assert.deepEqual(pods().map((p) => p[0]!.replace(/-[a-z0-9]{10}-[a-z0-9]{5}$/, '')), ['client']);
    assert.doesNotMatch(cli(['get', 'deploy']).stdout, /^echo/m);
    assert.deepEqual(ourNetns().filter((n) => n.includes('-echo-')), []);
    assert.notEqual(cli(['exec', podNamed('client')!, '--', 'getent', 'hosts', 'echo']).status, 0);
    const missing = cli(['delete', '-f', path.join(dir, 'echo-v2.yaml')]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /Error from server \(NotFound\): services "echo" not found/);
  });

  test('down removes every namespace, the applied pods included', () => {
    const down = cli(['down']);
    assert.equal(down.status, 0, down.stderr);
    assert.deepEqual(ourNetns(), []);
  });
});
