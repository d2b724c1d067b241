// Bookinfo as a mesh on the local runtime: the default namespace asks for
// injection, `up --discovery` runs istiod, and every pod gets istio-init's capture
// and an istio-proxy running `outrigger proxy sidecar`, configured by discovery.
// Pods become 2/2 only when their sidecar has its configuration; productpage's
// page is assembled through the sidecars; applying Bookinfo's "all v1" routing
// moves every reviews call to v1; proxy-config reads a pod by name; an app bound to
// the pod IP is reachable through its sidecar and one bound to 127.0.0.1 is not; a
// pod without a sidecar still reaches the mesh; capture counters move; a killed
// proxy is restarted and traffic recovers; `down` leaves no namespace behind.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { e2eUnavailable, repoRoot } from './netns.js';

const skip = e2eUnavailable();
const prefix = `ortest-rtm-${randomBytes(3).toString('hex')}-`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'ortest-rt-mesh-'));
const stateDir = path.join(dir, 'state');

function cli(args: string[], timeout = 60_000) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli/main.ts'), args[0]!, '--state-dir', stateDir, ...args.slice(1)], { cwd: repoRoot, encoding: 'utf8', timeout });
  return { status: result.status ?? 1, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

function ourNetns(): string[] {
  return spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(prefix));
}

/** Two apps that each bind one address, and a client pod left without a sidecar. */
function app(name: string, bind: string): string {
  return `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: default}
spec: {selector: {app: ${name}}, ports: [{name: http, port: 8080}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: default}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: ${name}
        image: example/${name}
        command: [node, -e, "require('http').createServer((q, s) => s.end('${name}')).listen(8080, ${bind})"]
        env: [{name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}]
        ports: [{containerPort: 8080}]
        securityContext: {runAsUser: 1000, runAsGroup: 1000}
`;
}
/** The pod-IP app, with an HTTP readiness probe that the injector rewrites to the agent's 15020. */
const probedApp = app('pod-ip-only', 'process.env.POD_IP')
  .replace("(q, s) => s.end('pod-ip-only')", "(q, s) => { if (q.url === '/healthz') console.log('probed by', q.headers['user-agent']); s.end('pod-ip-only') }")
  .replace('ports: [{containerPort: 8080}]', 'ports: [{containerPort: 8080}]\n        readinessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 1}');
const EXTRA = [
  app('local-only', "'127.0.0.1'"),
  probedApp,
  `apiVersion: apps/v1
kind: Deployment
metadata: {name: outside, namespace: default}
spec:
  selector: {matchLabels: {app: outside}}
  template:
    metadata: {labels: {app: outside}, annotations: {sidecar.istio.io/inject: "false"}}
    spec:
      containers:
      - {name: outside, image: example/outside, command: [sleep, "3600"], securityContext: {runAsUser: 1000, runAsGroup: 1000}}
`,
  // Istio's per-pod proxy settings: the app is held until the sidecar is ready, and
  // DNS is captured to the agent's DNS proxy, which answers ServiceEntry hosts from NDS.
  `apiVersion: apps/v1
kind: Deployment
metadata: {name: held, namespace: default}
spec:
  selector: {matchLabels: {app: held}}
  template:
    metadata:
      labels: {app: held}
      annotations:
        proxy.istio.io/config: '{"holdApplicationUntilProxyStarts": true, "proxyMetadata": {"ISTIO_META_DNS_CAPTURE": "true"}}'
    spec:
      containers:
      - name: held
        image: example/held
        # The app's first act: is its sidecar ready? Without the hold, nothing listens on 15021 yet.
        command: [sh, -c, 'curl -s -o /dev/null -w "sidecar ready at app start: %{http_code}\\n" http://127.0.0.1:15021/healthz/ready; exec sleep 3600']
        securityContext: {runAsUser: 1000, runAsGroup: 1000}
`,
  `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: external-api, namespace: default}
spec:
  hosts: [api.external.test]
  addresses: [240.240.10.1]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: STATIC
  endpoints: [{address: 240.240.10.2}]
`,
].join('---\n');

/** Pod rows of `get pods -A`: namespace, name, ready, status. */
function pods(): string[][] {
  const get = cli(['get', 'pods', '-A']);
  assert.equal(get.status, 0, get.stderr);
  return get.stdout.trim().split('\n').slice(1).map((r) => r.split(/\s{2,}/));
}

function podNamed(app: string): string {
  const row = pods().find((p) => p[1]!.startsWith(`${app}-`));
  assert.ok(row, `no ${app} pod`);
  return row[1]!;
}

/** Which reviews pod served each of n productpage pages, called from productpage's own pod through its sidecar. */
function reviewsVersions(n: number): string[] {
  const loop = `for i in $(seq ${n}); do curl -s -m 5 http://productpage:9080/productpage; echo '<<end>>'; done`;
  const out = cli(['exec', podNamed('productpage-v1'), '--', 'sh', '-c', loop]);
  assert.equal(out.status, 0, out.stderr);
  return out.stdout.split('<<end>>').slice(0, n).map((page) => /Reviews served by: reviews-(v\d)-/.exec(page)?.[1] ?? `no reviews in: ${page.slice(0, 300)}`);
}

/** The pid of a container process of a pod: its environment names the pod, its command line has the words. */
function findProcess(pod: string, words: string[]): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!words.every((w) => cmdline.includes(w))) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`POD_NAME=${pod}`)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

describe('Bookinfo as a mesh on the local runtime (sidecars from discovery)', { skip }, () => {
  after(() => {
    if (existsSync(path.join(stateDir, 'state.json'))) cli(['down']);
    for (const ns of ourNetns()) spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('up --discovery with an injection-enabled namespace: every Bookinfo pod 2/2, istiod 1/1', () => {
    writeFileSync(path.join(dir, 'namespace.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: default, labels: {istio-injection: enabled}}\n');
    writeFileSync(path.join(dir, 'extra.yaml'), EXTRA);
    const up = cli(['up', '-f', path.join(repoRoot, 'samples/bookinfo/bookinfo.yaml'), '-f', path.join(dir, 'namespace.yaml'), '-f', path.join(dir, 'extra.yaml'), '--discovery', '--netns-prefix', prefix, '--pod-cidr', '10.246.0.0/16', '--service-cidr', '10.98.0.0/16', '--wait', '60'], 90_000);
    assert.equal(up.status, 0, up.stderr + up.stdout);
    const rows = pods();
    assert.deepEqual(rows.map((p) => [p[0], p[1]!.replace(/-[a-z0-9]{10}-[a-z0-9]{5}$/, ''), p[2], p[3]]), [
      ['default', 'details-v1', '2/2', 'Running'],
      ['default', 'held', '2/2', 'Running'],
      ['default', 'local-only', '2/2', 'Running'],
      ['default', 'outside', '1/1', 'Running'],
      ['default', 'pod-ip-only', '2/2', 'Running'],
      ['default', 'productpage-v1', '2/2', 'Running'],
      ['default', 'ratings-v1', '2/2', 'Running'],
      ['default', 'reviews-v1', '2/2', 'Running'],
      ['default', 'reviews-v2', '2/2', 'Running'],
      ['default', 'reviews-v3', '2/2', 'Running'],
      ['istio-system', 'istiod', '1/1', 'Running'],
    ]);
  });

  test("productpage's page is assembled through the sidecars, counted by productpage's proxy", () => {
    // Thirty pages: the chance that the sidecar's balancing never picks one of three versions is ~1e-5.
    const versions = reviewsVersions(30);
    for (const v of versions) assert.match(v, /^v[123]$/);
    assert.deepEqual([...new Set(versions)].sort(), ['v1', 'v2', 'v3']);
    const stats = cli(['exec', podNamed('productpage-v1'), '--', 'curl', '-s', 'http://127.0.0.1:15000/stats?filter=upstream_rq_2xx']);
    assert.equal(stats.status, 0, stats.stderr);
    for (const service of ['details', 'reviews']) {
      assert.match(stats.stdout, new RegExp(`^cluster\\.outbound\\|9080\\|\\|${service}\\.default\\.svc\\.cluster\\.local\\.upstream_rq_2xx: [1-9]`, 'm'), stats.stdout);
    }
  });

  test('applying "all v1" routing sends every reviews call to v1 through the v1 subset', async () => {
    for (const file of ['destination-rule-all.yaml', 'virtual-service-all-v1.yaml']) {
      const apply = cli(['apply', '-f', path.join(repoRoot, 'samples/bookinfo/networking', file)]);
      assert.equal(apply.status, 0, apply.stderr);
    }
    const deadline = Date.now() + 15_000;
    let versions: string[] = [];
    for (;;) {
      versions = reviewsVersions(6);
      if (versions.every((v) => v === 'v1')) break;
      if (Date.now() > deadline) assert.fail(`reviews still served by ${versions.join(', ')} 15 s after the routing was applied`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    const clusters = cli(['exec', podNamed('productpage-v1'), '--', 'curl', '-s', 'http://127.0.0.1:15000/stats?filter=upstream_rq_2xx']);
    assert.match(clusters.stdout, /^cluster\.outbound\|9080\|v1\|reviews\.default\.svc\.cluster\.local\.upstream_rq_2xx: [1-9]/m, clusters.stdout);
  });

  test('proxy-config takes a runtime pod as istioctl takes a pod: the subset clusters the DestinationRule made', () => {
    const pc = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli/main.ts'), 'pc', 'clusters', `${podNamed('productpage-v1')}.default`, '--fqdn', 'reviews.default.svc.cluster.local'], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, OUTRIGGER_STATE_DIR: stateDir } });
    assert.equal(pc.status, 0, pc.stderr);
    for (const subset of ['-', 'v1', 'v2', 'v3']) assert.match(pc.stdout, new RegExp(`^reviews\\.default\\.svc\\.cluster\\.local\\s+9080\\s+${subset}\\s+outbound\\s+EDS`, 'm'), pc.stdout);
    const missing = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli/main.ts'), 'pc', 'listeners', 'nosuchpod', '-n', 'default'], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, OUTRIGGER_STATE_DIR: stateDir } });
    assert.equal(missing.status, 1);
    assert.equal(missing.stderr, 'Error: pods "nosuchpod" not found in namespace "default"\n');
  });

  test("Istio's inbound path: an app bound to the pod IP is reached, one bound only to 127.0.0.1 is not (503)", () => {
    const call = (host: string) => cli(['exec', podNamed('productpage-v1'), '--', 'curl', '-s', '-m', '5', '-w', ' %{http_code}', `http://${host}:8080/`]);
    assert.equal(call('pod-ip-only').stdout, 'pod-ip-only 200');
    // The sidecar delivers to the pod's address from 127.0.0.6, where nothing listens.
    assert.match(call('local-only').stdout, / 503$/);
  });

  test("an app's HTTP readiness probe, rewritten by the injector, is run by the agent on 15020 against the app", () => {
    const pod = podNamed('pod-ip-only');
    const describe = cli(['describe', 'pod', pod]);
    assert.match(describe.stdout, /Readiness: +http-get http:\/\/:15020\/app-health\/pod-ip-only\/readyz/, describe.stdout);
    const logs = cli(['logs', pod, '-c', 'pod-ip-only']);
    assert.match(logs.stdout, /^probed by kube-probe\//m, logs.stdout);
  });

  test('a pod without a sidecar still calls a Service VIP, and is answered through the sidecar of the pod it reaches', () => {
    const page = cli(['exec', podNamed('outside'), '--', 'curl', '-s', '-m', '5', 'http://productpage:9080/productpage']);
    assert.equal(page.status, 0, page.stderr);
    assert.match(page.stdout, /Reviews served by: reviews-v1-/);
  });

  test('holdApplicationUntilProxyStarts: the app starts only once its sidecar is ready', () => {
    const logs = cli(['logs', podNamed('held'), '-c', 'held']);
    assert.equal(logs.status, 0, logs.stderr);
    assert.equal(logs.stdout, 'sidecar ready at app start: 200\n');
    const describe = cli(['describe', 'pod', podNamed('held')]);
    const started = (container: string) => describe.stdout.split('\n').findIndex((l) => l.includes(`Started container ${container}`));
    assert.ok(started('istio-proxy') >= 0 && started('istio-proxy') < started('held'), describe.stdout);
  });

  test('DNS capture: a ServiceEntry host resolves through the agent\'s DNS proxy, only in the pod that captures DNS', () => {
    const held = cli(['exec', podNamed('held'), '--', 'getent', 'hosts', 'api.external.test']);
    assert.equal(held.status, 0, held.stderr);
    assert.match(held.stdout, /^240\.240\.10\.1\s+api\.external\.test/);
    // Kubernetes names still resolve, and the capture rule counted the queries.
    assert.match(cli(['exec', podNamed('held'), '--', 'getent', 'hosts', 'ratings.default.svc.cluster.local']).stdout, /^10\.98\./);
    const rules = cli(['iptables-save', podNamed('held')]);
    const dnsRule = rules.stdout.split("\n").find((l) => /-A ISTIO_OUTPUT_DNS .*-p udp .*--dport 53 .*-j REDIRECT --to-ports 15053/.test(l));
    assert.ok(dnsRule, rules.stdout);
    assert.ok(Number(/^\[(\d+):/.exec(dnsRule)?.[1]) > 0, dnsRule);
    // A pod whose agent does not capture DNS has no server for the name.
    assert.notEqual(cli(['exec', podNamed('outside'), '--', 'getent', 'hosts', 'api.external.test']).status, 0);
  });

  test("the pod's capture counters show outbound and inbound traffic", () => {
    const rules = cli(['iptables-save', podNamed('productpage-v1')]);
    assert.equal(rules.status, 0, rules.stderr);
    const counter = (rule: RegExp) => Number(/^\[(\d+):\d+\]/.exec(rules.stdout.split('\n').find((l) => rule.test(l)) ?? '')?.[1] ?? 0);
    assert.ok(counter(/-A ISTIO_OUTPUT -j ISTIO_REDIRECT$/) > 0, rules.stdout);
    assert.ok(counter(/-A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006$/) > 0, rules.stdout);
  });

  test('a killed proxy is restarted and traffic recovers', async () => {
    const pod = podNamed('details-v1');
    const proxyPid = findProcess(pod, ['proxy', 'sidecar']);
    assert.ok(proxyPid, `no istio-proxy process of ${pod}`);
    process.kill(proxyPid, 'SIGKILL');
    const deadline = Date.now() + 30_000;
    for (;;) {
      const row = pods().find((p) => p[1] === pod)!;
      if (row[2] === '2/2' && row[4] === '1' && findProcess(pod, ['proxy', 'sidecar']) !== proxyPid) break;
      if (Date.now() > deadline) assert.fail(`details did not come back: ${row.join(' ')}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    assert.match(reviewsVersions(1)[0]!, /^v1$/);
    const page = cli(['exec', podNamed('productpage-v1'), '--', 'curl', '-s', '-m', '5', 'http://productpage:9080/productpage']);
    assert.match(page.stdout, /<h2>Book Details<\/h2>/);
  });

  test('down removes every pod namespace', () => {
    const down = cli(['down']);
    assert.equal(down.status, 0, down.stderr);
    assert.deepEqual(ourNetns(), []);
  });
});
