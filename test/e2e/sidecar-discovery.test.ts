// The injected container's command, end to end: `outrigger proxy sidecar` in two
// captured "pods", both fed by `outrigger discovery` over ADS. Nothing is written
// by hand for the proxies — their listeners, routes, clusters and endpoints come
// from a registry directory — and an HTTP call to the service address crosses
// both sidecars to the app, also by name through the agent's DNS proxy. Editing a VirtualService in the directory shifts a
// weighted split between two versions; removing the pods leaves calls no upstream.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTopology, e2eUnavailable, outrigger, PEER_V4, POD_V4 } from './netns.js';
import type { Namespace, Topology } from './netns.js';
import { stageOutrigger } from '../../src/runtime/staging.js';
import type { Stage } from '../../src/stage/index.js';

const PROXY_UID = 1337;
const APP_UID = 1000;
const REVIEWS_VIP = '10.96.0.10';

/** reviews-v2 is a second pod address in the server namespace, behind the same sidecar. */
const REVIEWS_V2_IP = '10.250.0.3';

function registry(): string {
  return `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default, labels: {app: reviews}}
spec: {clusterIP: ${REVIEWS_VIP}, selector: {app: reviews}, ports: [{name: http, port: 9080}]}
---
apiVersion: v1
kind: Service
metadata: {name: productpage, namespace: default}
spec: {clusterIP: 10.96.0.20, selector: {app: productpage}, ports: [{name: http, port: 9080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: productpage-v1-abc, namespace: default, labels: {app: productpage, version: v1}}
spec: {containers: [{name: productpage, image: productpage, ports: [{containerPort: 9080}]}]}
status: {podIP: ${POD_V4}}
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-v1-def, namespace: default, labels: {app: reviews, version: v1}}
spec: {containers: [{name: reviews, image: reviews, ports: [{containerPort: 9080}]}]}
status: {podIP: ${PEER_V4}}
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-v2-ghi, namespace: default, labels: {app: reviews, version: v2}}
spec: {containers: [{name: reviews, image: reviews, ports: [{containerPort: 9080}]}]}
status: {podIP: ${REVIEWS_V2_IP}}
`;
}

/** Istio routing for reviews: subsets by version, and a weighted split between them. */
function routing(v1Weight: number): string {
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews, subset: v1}, weight: ${v1Weight}}
    - {destination: {host: reviews, subset: v2}, weight: ${100 - v1Weight}}
`;
}

/** An HTTP app that names itself and says who connected (the sidecar delivers from 127.0.0.6). */
const app = (name: string, ip: string) => `require('http').createServer((q, s) => s.end('${name} ' + q.socket.remoteAddress + '\\n')).listen(9080, '${ip}', () => console.log('{"event":"ready"}'))`;

const skip = e2eUnavailable();

describe('outrigger proxy sidecar, fed by outrigger discovery, in two captured pods', { skip }, () => {
  let t: Topology;
  let staged: Stage;
  let configDir: string;
  const children: { name: string; child: ChildProcess; log: string }[] = [];

  function launch(name: string, ns: Namespace, args: string[], options: { uid?: number; env?: Record<string, string> }, readyText: string): Promise<void> {
    const cmd = ns.command(args, options);
    const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    const entry = { name, child, log: '' };
    children.push(entry);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name}: no "${readyText}" within 15 s:\n${entry.log}`)), 15_000);
      const onData = (d: Buffer) => {
        entry.log += d.toString();
        if (entry.log.includes(readyText)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited (${code}):\n${entry.log}`));
      });
    });
  }

  // The reviews sidecar shares discovery's namespace; its own pod address would be captured
  // (the proxy calling its pod goes through inbound), so it uses loopback, as a co-located agent would.
  function sidecarEnv(pod: string, ip: string, app: string, discovery: string): Record<string, string> {
    return {
      POD_NAME: pod,
      POD_NAMESPACE: 'default',
      INSTANCE_IP: ip,
      SERVICE_ACCOUNT: app,
      ISTIO_META_WORKLOAD_NAME: `${app}-v1`,
      PROXY_CONFIG: JSON.stringify({ discoveryAddress: discovery, terminationDrainDuration: '1s' }),
      ...(ip === POD_V4 ? { ISTIO_META_DNS_CAPTURE: 'true' } : {}),
    };
  }

  function logs(): string {
    const stats = [t.pod, t.peer].map((ns) => `--- stats in ${ns.name}\n${ns.run(['curl', '-sS', 'http://127.0.0.1:15000/stats?filter=(rq_|cx_|no_route|no_filter)']).stdout.split('\n').filter((l) => !/: 0$/.test(l)).join('\n')}`);
    return [...children.map((c) => `--- ${c.name}\n${c.log}`), ...stats].join('\n');
  }

  async function waitReady(ns: Namespace, name: string): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const r = ns.run(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', 'http://127.0.0.1:15021/healthz/ready']);
      if (r.stdout === '200') return;
      if (Date.now() > deadline) throw new Error(`${name} not ready (last ${r.stdout || r.stderr}):\n${logs()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  before(async () => {
    staged = stageOutrigger();
    t = createTopology();
    configDir = mkdtempSync(path.join(os.tmpdir(), 'ortest-sidecar-registry-'));
    chmodSync(configDir, 0o755);
    writeFileSync(path.join(configDir, 'mesh.yaml'), registry());
    // Capture as istio-init installs it; discovery's port is kept out of inbound capture.
    // The client pod also captures DNS (as ISTIO_META_DNS_CAPTURE does), so that its agent's DNS proxy answers service names.
    for (const ns of [t.pod, t.peer]) {
      const dns = ns === t.pod ? ['--redirect-dns', '--capture-all-dns'] : [];
      const applied = ns.run([process.execPath, outrigger, 'iptables', '-p', '15001', '-z', '15006', '-u', String(PROXY_UID), '-m', 'REDIRECT', '-i', '*', '-b', '*', '-d', '15090,15021,15020,15010', ...dns]);
      assert.equal(applied.status, 0, applied.stderr);
    }
    // The pod's resolver, as the kubelet writes it: a cluster DNS address and the namespace's search path.
    mkdirSync(`/etc/netns/${t.pod.name}`, { recursive: true });
    writeFileSync(`/etc/netns/${t.pod.name}/resolv.conf`, 'nameserver 10.96.0.53\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n');
    // The service address is routed like any off-pod address; capture takes it first.
    assert.equal(t.pod.run(['ip', 'route', 'add', 'default', 'via', PEER_V4]).status, 0);
    await launch('discovery', t.peer, [process.execPath, outrigger, 'discovery', '--configDir', configDir, '--grpcAddr', '0.0.0.0:15010', '--monitoringAddr', '127.0.0.1:15014', '--webhookPort', '0'], {}, 'serving ADS');
    const sidecar = (ns: Namespace, name: string, pod: string, ip: string, app: string, discovery: string) =>
      launch(name, ns, [process.execPath, staged.path('bin/outrigger'), 'proxy', 'sidecar', '--domain', '$(POD_NAMESPACE).svc.cluster.local', '--proxyLogLevel=warning', '--log_output_level=default:info'], { uid: PROXY_UID, env: sidecarEnv(pod, ip, app, discovery) }, 'status 15020');
    await sidecar(t.pod, 'productpage sidecar', 'productpage-v1-abc', POD_V4, 'productpage', `${PEER_V4}:15010`);
    await sidecar(t.peer, 'reviews sidecar', 'reviews-v1-def', PEER_V4, 'reviews', '127.0.0.1:15010');
    assert.equal(t.peer.run(['ip', 'addr', 'add', `${REVIEWS_V2_IP}/32`, 'dev', 'lo']).status, 0);
    await launch('reviews-v1 app', t.peer, [process.execPath, '-e', app('reviews-v1', PEER_V4)], { uid: APP_UID }, '"ready"');
    await launch('reviews-v2 app', t.peer, [process.execPath, '-e', app('reviews-v2', REVIEWS_V2_IP)], { uid: APP_UID }, '"ready"');
    await waitReady(t.pod, 'productpage sidecar');
    await waitReady(t.peer, 'reviews sidecar');
  });

  after(() => {
    if (t) rmSync(`/etc/netns/${t.pod.name}`, { recursive: true, force: true });
    for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    t?.dispose();
    staged?.remove();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  test("the sidecar's configuration is discovery's, named as Istio names it", () => {
    const listeners = t.pod.run([process.execPath, outrigger, 'proxy-config', 'listener', '127.0.0.1:15000']);
    assert.equal(listeners.status, 0, listeners.stderr);
    for (const expected of [/0\.0\.0\.0\s+15001\s+ALL\s+PassthroughCluster/, /0\.0\.0\.0\s+15006\s+/, /0\.0\.0\.0\s+9080\s+.*Route: 9080/]) {
      assert.match(listeners.stdout, expected, listeners.stdout);
    }
    const routes = t.pod.run([process.execPath, outrigger, 'proxy-config', 'route', '127.0.0.1:15000', '--name', '9080']);
    assert.equal(routes.status, 0, routes.stderr);
    assert.match(routes.stdout, /^9080\s+reviews\.default\.svc\.cluster\.local:9080\s+reviews, reviews\.default\.svc \+ \d+ more\.\.\.\s+\/\*/m, routes.stdout);
    const clusters = t.pod.run([process.execPath, outrigger, 'proxy-config', 'cluster', '127.0.0.1:15000', '--fqdn', 'reviews.default.svc.cluster.local']);
    assert.equal(clusters.status, 0, clusters.stderr);
    assert.match(clusters.stdout, /reviews\.default\.svc\.cluster\.local\s+9080\s+-\s+outbound\s+EDS/, clusters.stdout);
    const endpoints = t.pod.run([process.execPath, outrigger, 'proxy-config', 'endpoint', '127.0.0.1:15000', '--cluster', 'outbound|9080||reviews.default.svc.cluster.local']);
    assert.equal(endpoints.status, 0, endpoints.stderr);
    assert.match(endpoints.stdout, new RegExp(`${PEER_V4.replaceAll('.', '\\.')}:9080\\s+HEALTHY`), endpoints.stdout);
  });

  test('an HTTP call to the service address crosses both sidecars and reaches the app from 127.0.0.6', () => {
    const reply = t.pod.run(['curl', '-sS', '--max-time', '5', `http://${REVIEWS_VIP}:9080/reviews/0`], { uid: APP_UID });
    assert.equal(reply.status, 0, `${reply.stderr}\n${logs()}`);
    assert.match(reply.stdout, /^reviews-v[12] 127\.0\.0\.6\n$/, reply.stdout);
    // The client's sidecar counted it as a success of the service's outbound cluster.
    const stats = t.pod.run(['curl', '-sS', 'http://127.0.0.1:15000/stats?filter=upstream_rq_2xx']);
    assert.match(stats.stdout, /^cluster\.outbound\|9080\|\|reviews\.default\.svc\.cluster\.local\.upstream_rq_2xx: 1$/m, stats.stdout);
  });

  test("a call by service name: the client agent's DNS proxy answers from discovery's name table", () => {
    const resolved = t.pod.run(['getent', 'hosts', 'reviews'], { uid: APP_UID });
    assert.equal(resolved.status, 0, `${resolved.stderr}\n${logs()}`);
    assert.match(resolved.stdout, new RegExp(`^${REVIEWS_VIP.replaceAll('.', '\\.')}\\s+reviews`), resolved.stdout);
    const reply = t.pod.run(['curl', '-sS', '--max-time', '5', 'http://reviews:9080/'], { uid: APP_UID });
    assert.equal(reply.status, 0, reply.stderr);
    assert.match(reply.stdout, /^reviews-v[12] 127\.0\.0\.6\n$/);
  });

  /** Which version answered each of n calls to the service, made from the client pod as the app's uid. */
  function versions(n: number): string[] {
    const loop = `for i in $(seq ${n}); do curl -s --max-time 5 http://${REVIEWS_VIP}:9080/; done`;
    const r = t.pod.run(['sh', '-c', loop], { uid: APP_UID });
    return r.stdout.split('\n').filter(Boolean).map((l) => l.split(' ')[0]!);
  }

  async function until(what: string, ok: () => boolean): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`${what} within 10 s:\n${logs()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  test('editing a VirtualService in the registry directory shifts the weighted split, with nothing restarted', async () => {
    writeFileSync(path.join(configDir, 'routing.yaml'), routing(100));
    await until('all calls to v1', () => versions(10).every((v) => v === 'reviews-v1'));
    writeFileSync(path.join(configDir, 'routing.yaml'), routing(20));
    await until('a call to v2', () => versions(5).includes('reviews-v2'));
    const split = versions(60);
    const v2 = split.filter((v) => v === 'reviews-v2').length;
    assert.equal(split.length, 60, split.join(' '));
    // 80 % to v2: 48 expected, and 36..59 holds with probability above 0.9998.
    assert.ok(v2 >= 36 && v2 <= 59, `v2 answered ${v2} of 60`);
    const clusters = t.pod.run([process.execPath, outrigger, 'proxy-config', 'cluster', '127.0.0.1:15000', '--fqdn', 'reviews.default.svc.cluster.local']);
    for (const subset of ['v1', 'v2']) assert.match(clusters.stdout, new RegExp(`reviews\\.default\\.svc\\.cluster\\.local\\s+9080\\s+${subset}\\s+outbound\\s+EDS`), clusters.stdout);
  });

  test('the registry changes and the sidecar follows: the pods leave the service, calls get no upstream', async () => {
    writeFileSync(path.join(configDir, 'mesh.yaml'), registry().replace(/kind: Pod\nmetadata: \{name: reviews[\s\S]*$/, 'kind: ConfigMap\nmetadata: {name: placeholder, namespace: default}\n'));
    const deadline = Date.now() + 10_000;
    let last = '';
    for (;;) {
      const r = t.pod.run(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', `http://${REVIEWS_VIP}:9080/`], { uid: APP_UID });
      last = r.stdout;
      if (last === '503') break;
      if (Date.now() > deadline) throw new Error(`still ${last} after the endpoint left:\n${logs()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(last, '503');
  });
});
