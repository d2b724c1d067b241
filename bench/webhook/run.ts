// Injection throughput and latency over HTTPS at 50 concurrent clients (the API server's
// default webhook timeout is 10 s; the aim is p99 under 10 ms), beside the cost of the pure
// core alone, measured in the same run.
//
//   npx tsc -p tsconfig.json && node --import tsx bench/webhook/run.ts [--seconds 10] [--concurrency 50]
//
// The injector runs as `bin/outrigger webhook` in its own process (the shipped code, one event
// loop, as in a pod); the clients run here, with keep-alive connections as the API server uses.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadSettings } from '../../src/inject/kube-inject.js';
import { createCertificateAuthority, issueServingCertificate, reviewAdmissionBody } from '../../src/webhook/index.js';

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, concurrency: { type: 'string', default: '50' }, warmup: { type: 'string', default: '2' } } });
const seconds = Number(args.seconds);
const concurrency = Number(args.concurrency);
const warmupSeconds = Number(args.warmup);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A pod as a Deployment's ReplicaSet sends it: generated name, owner, two containers, probes. */
function podReview(i: number, extraLabels: Record<string, string> = {}): string {
  const hash = '7d9c8b6f5';
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `bench-${i}`,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'bookinfo',
      operation: 'CREATE',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          generateName: `reviews-v1-${hash}-`,
          labels: { app: 'reviews', version: 'v1', 'pod-template-hash': hash, ...extraLabels },
          annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9080' },
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `reviews-v1-${hash}`, uid: 'f4b1', controller: true, blockOwnerDeletion: true }],
          managedFields: [{ manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': {} } } }],
        },
        spec: {
          serviceAccountName: 'bookinfo-reviews',
          containers: [
            {
              name: 'reviews',
              image: 'docker.io/istio/examples-bookinfo-reviews-v1:1.20.1',
              ports: [{ containerPort: 9080, protocol: 'TCP' }],
              env: [{ name: 'LOG_DIR', value: '/tmp/logs' }],
              readinessProbe: { httpGet: { path: '/health', port: 9080 }, periodSeconds: 5 },
              livenessProbe: { httpGet: { path: '/health', port: 9080 } },
              resources: { requests: { cpu: '100m', memory: '128Mi' } },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
            { name: 'log-shipper', image: 'fluent/fluent-bit:2.2', resources: { requests: { cpu: '10m' } } },
          ],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
        status: {},
      },
    },
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'outrigger-bench-webhook-'));
  const ca = await createCertificateAuthority();
  const serving = await issueServingCertificate(ca, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  writeFileSync(path.join(dir, 'tls.crt'), serving.cert);
  writeFileSync(path.join(dir, 'tls.key'), serving.key);

  // The pure core, single-threaded, for scale.
  const settings = loadSettings({}, '', {});
  for (let i = 0; i < 100; i++) reviewAdmissionBody(podReview(i), settings, { path: '/inject' });
  const coreStart = process.hrtime.bigint();
  let coreCount = 0;
  while (Number(process.hrtime.bigint() - coreStart) < 2e9) {
    const review = reviewAdmissionBody(podReview(coreCount, { 'bench-id': String(coreCount) }), settings, { path: '/inject' });
    if (review.outcome.result !== 'injected') throw new Error(`not injected: ${JSON.stringify(review.outcome)}`);
    coreCount++;
  }
  const coreSeconds = Number(process.hrtime.bigint() - coreStart) / 1e9;

  const child = spawn(process.execPath, [path.join(root, 'bin', 'outrigger'), 'webhook', '--port', '0', '--host', '127.0.0.1', '--tlsCertFile', path.join(dir, 'tls.crt'), '--tlsKeyFile', path.join(dir, 'tls.key')], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  let log = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      log += c.toString();
      const m = /serving https on 127\.0\.0\.1:(\d+)/.exec(log);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', () => reject(new Error(`the webhook exited: ${log}`)));
  });

  const agent = new https.Agent({ keepAlive: true, maxSockets: concurrency, ca: ca.cert });
  const post = (body: string) =>
    new Promise<void>((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port, method: 'POST', path: '/inject', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode !== 200 || !text.includes('"patchType":"JSONPatch"')) reject(new Error(`bad answer ${res.statusCode}: ${text.slice(0, 200)}`));
          else resolve();
        });
      });
      req.on('error', reject);
      req.end(body);
    });

  // Distinct pods (a label per request) defeat the cache: the cost of injecting. Identical pods
  // are a ReplicaSet scaling up: what the cache is for.
  const distinct = (i: number) => podReview(i, { 'bench-id': String(i) });
  const identical = (i: number) => podReview(i);

  /** Closed loop: each client sends its next request when the last is answered. */
  async function closedLoop(body: (i: number) => string): Promise<{ rate: number; latencies: number[]; errors: number }> {
    const latencies: number[] = [];
    let errors = 0;
    let measuring = false;
    let stop = false;
    const warm = new Set<number>();
    const client = async (id: number) => {
      for (let i = id; !stop; i += concurrency) {
        const started = process.hrtime.bigint();
        try {
          await post(body(i));
          if (measuring) latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
          warm.add(id);
        } catch (error) {
          errors++;
          if (errors < 5) process.stderr.write(`${(error as Error).message}\n`);
        }
      }
    };
    const clients = Array.from({ length: concurrency }, (_, id) => client(id));
    // Measure once every client has its connection (the API server keeps its connections open).
    await new Promise((r) => setTimeout(r, warmupSeconds * 1000));
    while (warm.size < concurrency) await new Promise((r) => setTimeout(r, 50));
    measuring = true;
    const started = process.hrtime.bigint();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    measuring = false;
    const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
    stop = true;
    await Promise.all(clients);
    return { rate: latencies.length / elapsed, latencies: latencies.sort((a, b) => a - b), errors };
  }

  /** Open loop: requests at a fixed rate over the same connections, latency from the scheduled send time. */
  async function openLoop(body: (i: number) => string, rate: number, first: number): Promise<{ latencies: number[]; errors: number }> {
    const latencies: number[] = [];
    let errors = 0;
    const total = Math.round(rate * seconds);
    const start = process.hrtime.bigint();
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const scheduled = start + BigInt(Math.round((i / rate) * 1e9));
      const wait = Number(scheduled - process.hrtime.bigint()) / 1e6;
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      inflight.push(
        post(body(first + i)).then(
          () => void latencies.push(Number(process.hrtime.bigint() - scheduled) / 1e6),
          () => void errors++,
        ),
      );
    }
    await Promise.all(inflight);
    return { latencies: latencies.sort((a, b) => a - b), errors };
  }

  const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
  const line = (latencies: number[]) => `p50 ${fmt(percentile(latencies, 50))}   p90 ${fmt(percentile(latencies, 90))}   p99 ${fmt(percentile(latencies, 99))}   max ${fmt(latencies.at(-1) ?? NaN)}`;
  const out: string[] = [`webhook over HTTPS (bin/outrigger webhook, one process), ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}; ${seconds} s per phase`];
  const saturated = await closedLoop(distinct);
  out.push(`  ${concurrency} concurrent clients, distinct pods:   ${saturated.rate.toFixed(0)} injections/s   ${line(saturated.latencies)}   (${saturated.errors} errors)`);
  const cached = await closedLoop(identical);
  out.push(`  ${concurrency} concurrent clients, identical pods:  ${cached.rate.toFixed(0)} injections/s   ${line(cached.latencies)}   (${cached.errors} errors; a ReplicaSet scaling up, answered from the cache)`);
  let errors = saturated.errors + cached.errors;
  for (const share of [0.5, 0.8]) {
    const rate = Math.max(1, Math.floor(saturated.rate * share));
    // Numbered apart from every earlier request, so that no pod repeats (and hits the cache).
    const paced = await openLoop(distinct, rate, share * 10_000_000);
    errors += paced.errors;
    out.push(`  ${rate}/s offered (${share * 100}% of the above), distinct pods, open loop:   ${line(paced.latencies)}   (${paced.errors} errors)`);
  }
  out.push(`  pure core alone (reviewAdmissionBody, one thread, no I/O, distinct pods): ${(coreCount / coreSeconds).toFixed(0)} injections/s, ${((coreSeconds / coreCount) * 1000).toFixed(2)} ms each`);
  agent.destroy();
  child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`${out.join('\n')}\n`);
  if (errors > 0) process.exitCode = 1;
}

await main();
