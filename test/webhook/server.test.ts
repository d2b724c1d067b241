// The injector over real HTTPS: certificates made here, node:https and curl as clients,
// 127.0.0.1 and ::1 only. Reloads of the certificate and of the config happen on real files.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultInjectConfigPath, injectObject } from '../../src/inject/kube-inject.js';
import { applyJsonPatch } from '../../src/kube/index.js';
import type { JsonPatchOperation } from '../../src/kube/index.js';
import { setSink } from '../../src/log/index.js';
import { createCertificateAuthority, FileSettingsSource, issueServingCertificate, startWebhookServer, WebhookMetrics } from '../../src/webhook/index.js';
import type { AdmissionReviewResponse, CertificateAuthority, WebhookServer } from '../../src/webhook/index.js';
import { pod, review } from './helpers.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  certificate?: string;
}

function request(port: number, ca: string, options: { method?: string; path?: string; body?: string | Buffer; contentType?: string; host?: string; agent?: https.Agent | false } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: options.host ?? '127.0.0.1',
        port,
        method: options.method ?? 'POST',
        path: options.path ?? '/inject',
        ca,
        agent: options.agent ?? false,
        headers: options.body !== undefined ? { 'Content-Type': options.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(options.body) } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        const peer = (res.socket as tls.TLSSocket).getPeerCertificate?.();
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ...(peer?.fingerprint256 ? { certificate: peer.fingerprint256 } : {}) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', ...args], (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

const patchOf = (reply: Reply): JsonPatchOperation[] => {
  const response = (JSON.parse(reply.body) as AdmissionReviewResponse).response;
  return JSON.parse(Buffer.from(response.patch ?? 'W10=', 'base64').toString('utf8')) as JsonPatchOperation[];
};

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

const logs: string[] = [];
let restoreSink: ReturnType<typeof setSink>;
let dir: string;
let ca: CertificateAuthority;
let files: { cert: string; key: string; config: string; mesh: string; values: string };
let settings: FileSettingsSource;
let webhook: WebhookServer;
const metrics = new WebhookMetrics();

/** Writes a file in one step (rename), as Kubernetes' volume updates appear to readers. */
function replaceFile(file: string, content: string): void {
  writeFileSync(`${file}.tmp`, content);
  renameSync(`${file}.tmp`, file);
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

before(async () => {
  restoreSink = setSink((line) => logs.push(line));
  dir = mkdtempSync(path.join(tmpdir(), 'outrigger-webhook-'));
  ca = await createCertificateAuthority();
  const serving = await issueServingCertificate(ca, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'] });
  files = { cert: path.join(dir, 'tls.crt'), key: path.join(dir, 'tls.key'), config: path.join(dir, 'config'), mesh: path.join(dir, 'mesh'), values: path.join(dir, 'values') };
  writeFileSync(path.join(dir, 'ca.crt'), ca.cert);
  writeFileSync(files.cert, serving.cert);
  writeFileSync(files.key, serving.key);
  copyFileSync(defaultInjectConfigPath, files.config);
  writeFileSync(files.mesh, 'defaultConfig:\n  discoveryAddress: istiod.istio-system.svc:15012\n');
  writeFileSync(files.values, 'global:\n  hub: registry.example/outrigger\n');
  settings = await FileSettingsSource.open(
    { injectConfig: files.config, meshConfig: files.mesh, values: files.values },
    { env: {}, pollIntervalMs: 25, onReload: (ok) => metrics.recordReload('config', ok) },
  );
  webhook = await startWebhookServer({
    settings,
    metrics,
    port: 0,
    host: '127.0.0.1',
    certFile: files.cert,
    keyFile: files.key,
    maxBodyBytes: 256 * 1024,
    requestTimeoutMs: 600,
    handshakeTimeoutMs: 400,
    certificatePollIntervalMs: 25,
  });
});

after(async () => {
  await webhook.close();
  settings.close();
  setSink(restoreSink);
  rmSync(dir, { recursive: true, force: true });
});

describe('webhook over HTTPS', () => {
  for (const version of ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const) {
    test(`${version}: the patch applied to the pod equals kube-inject's result`, async () => {
      const p = pod({ namespace: 'shop' });
      const reply = await request(webhook.port, ca.cert, { body: JSON.stringify(review(p, { version, namespace: 'shop', uid: 'uid-1' })) });
      assert.equal(reply.status, 200);
      assert.match(String(reply.headers['content-type']), /^application\/json/);
      const answer = JSON.parse(reply.body) as AdmissionReviewResponse;
      assert.equal(answer.apiVersion, version);
      assert.equal(answer.response.uid, 'uid-1');
      assert.equal(answer.response.allowed, true);
      assert.equal(answer.response.patchType, 'JSONPatch');
      const injected = applyJsonPatch(p, patchOf(reply));
      assert.deepEqual(injected, injectObject(p, settings.current()).object);
      // Re-invocation: the API server calls again with the injected pod; nothing changes.
      const again = JSON.parse((await request(webhook.port, ca.cert, { body: JSON.stringify(review(injected, { version, namespace: 'shop', uid: 'uid-2' })) })).body) as AdmissionReviewResponse;
      assert.deepEqual(again, { apiVersion: version, kind: 'AdmissionReview', response: { uid: 'uid-2', allowed: true } });
    });
  }

  test('path parameters reach the proxy, with curl as the client', async () => {
    const p = pod({ namespace: 'shop' });
    const out = await curl(['--cacert', path.join(dir, 'ca.crt'), '-H', 'Content-Type: application/json', '--data-binary', JSON.stringify(review(p)), `https://127.0.0.1:${webhook.port}/inject/cluster/west/net/net-2`]);
    assert.equal(out.code, 0, out.stderr);
    const injected = applyJsonPatch(p, patchOf({ status: 200, headers: {}, body: out.stdout })) as { spec: { containers: { name: string; env?: { name: string; value?: string }[] }[] } };
    const env = injected.spec.containers.find((c) => c.name === 'istio-proxy')?.env ?? [];
    assert.deepEqual(env.filter((e) => e.name === 'ISTIO_META_CLUSTER_ID' || e.name === 'ISTIO_META_NETWORK'), [
      { name: 'ISTIO_META_CLUSTER_ID', value: 'west' },
      { name: 'ISTIO_META_NETWORK', value: 'net-2' },
    ]);
  });

  test('TLS 1.2 and 1.3 are served, 1.1 is refused', async () => {
    const base = ['--cacert', path.join(dir, 'ca.crt'), '-o', '/dev/null', '-w', '%{http_code}', `https://127.0.0.1:${webhook.port}/healthz`];
    assert.equal((await curl(['--tlsv1.2', '--tls-max', '1.2', ...base])).stdout, '200');
    assert.equal((await curl(['--tlsv1.3', ...base])).stdout, '200');
    const old = await curl(['--tlsv1.1', '--tls-max', '1.1', ...base]);
    assert.notEqual(old.code, 0);
  });

  test('/healthz, /metrics and unknown paths', async () => {
    assert.deepEqual([(await request(webhook.port, ca.cert, { method: 'GET', path: '/healthz' })).status, (await request(webhook.port, ca.cert, { method: 'GET', path: '/nope' })).status], [200, 404]);
    const reply = await request(webhook.port, ca.cert, { method: 'GET', path: '/metrics' });
    assert.equal(reply.status, 200);
    assert.match(String(reply.headers['content-type']), /^text\/plain; version=0.0.4/);
    assert.match(reply.body, /^sidecar_injection_requests_total \d+$/m);
    assert.match(reply.body, /^sidecar_injection_success_total [1-9]\d*$/m);
    assert.match(reply.body, /^sidecar_injection_skip_total\{reason="no_change"\} [1-9]\d*$/m);
    assert.match(reply.body, /^sidecar_injection_time_seconds_count [1-9]\d*$/m);
  });

  test('serves on ::1 too', async () => {
    const v6 = await startWebhookServer({ settings, port: 0, host: '::1', certFile: files.cert, keyFile: files.key });
    try {
      const reply = await request(v6.port, ca.cert, { host: '::1', body: JSON.stringify(review(pod())) });
      assert.equal(reply.status, 200);
      assert.equal((JSON.parse(reply.body) as AdmissionReviewResponse).response.patchType, 'JSONPatch');
    } finally {
      await v6.close();
    }
  });
});

describe('webhook over HTTPS: bad input', () => {
  const cases: [string, { method?: string; body?: string; contentType?: string }, number, RegExp][] = [
    ['a body that is not JSON', { body: '<xml/>' }, 400, /not JSON/],
    ['JSON that is not an AdmissionReview', { body: JSON.stringify({ kind: 'Pod' }) }, 400, /kind is "Pod"/],
    ['a review without a request', { body: JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }) }, 400, /no request/],
    ['an empty body', { body: '' }, 400, /no body/],
    ['another content type', { body: '{}', contentType: 'text/plain' }, 415, /Content-Type/],
    ['GET on /inject', { method: 'GET' }, 405, /only POST/],
  ];
  for (const [name, options, status, message] of cases) {
    test(`${name}: HTTP ${status}`, async () => {
      const reply = await request(webhook.port, ca.cert, options);
      assert.equal(reply.status, status);
      assert.match(reply.body, message);
    });
  }

  test('a non-Pod object: allowed with a warning', async () => {
    const reply = await request(webhook.port, ca.cert, { body: JSON.stringify(review({ kind: 'Service', metadata: { name: 's' } }, { kind: 'Service' })) });
    const answer = JSON.parse(reply.body) as AdmissionReviewResponse;
    assert.equal(reply.status, 200);
    assert.equal(answer.response.allowed, true);
    assert.equal(answer.response.warnings?.length, 1);
  });

  test('a bad annotation: allowed: false with the annotation named', async () => {
    const reply = await request(webhook.port, ca.cert, { body: JSON.stringify(review(pod({ annotations: { 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '10.0.0.0/33' } }))) });
    const answer = JSON.parse(reply.body) as AdmissionReviewResponse;
    assert.equal(reply.status, 200);
    assert.equal(answer.response.allowed, false);
    assert.match(answer.response.status?.message ?? '', /traffic.sidecar.istio.io\/excludeOutboundIPRanges/);
  });

  test('an oversized body: 413, declared or streamed', async () => {
    const big = JSON.stringify(review({ ...pod(), padding: 'x'.repeat(300 * 1024) }));
    assert.equal((await request(webhook.port, ca.cert, { body: big })).status, 413);
    // Chunked, without a Content-Length: cut off while it streams.
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port: webhook.port, method: 'POST', path: '/inject', ca: ca.cert, agent: false, headers: { 'Content-Type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? resolve(-1) : reject(error)));
      for (let i = 0; i < 40; i++) req.write('x'.repeat(16 * 1024));
      req.end();
    });
    assert.ok(streamed === 413 || streamed === -1, `got ${streamed}`);
    assert.ok(metrics.failureCount('body_too_large') >= 2);
    assert.equal((await request(webhook.port, ca.cert, { method: 'GET', path: '/healthz' })).status, 200);
  });

  test('a slow client: 408 and the connection closed', async () => {
    const started = Date.now();
    const received = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port: webhook.port, ca: ca.cert }, () => {
        socket.write('POST /inject HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"apiVersion":');
      });
      let data = '';
      socket.on('data', (c: Buffer) => (data += c.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    assert.match(received, /^HTTP\/1.1 408/);
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    assert.ok(metrics.failureCount('timeout') >= 1);
  });

  test('a client that goes away mid-body: nothing answered, nothing counted as ours, still serving', async () => {
    const internal = metrics.failureCount('internal');
    await new Promise<void>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port: webhook.port, ca: ca.cert }, () => {
        socket.write('POST /inject HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"apiVersion":', () => setTimeout(() => socket.destroy(), 50));
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    await sleep(50);
    assert.equal(metrics.failureCount('internal'), internal);
    assert.equal((await request(webhook.port, ca.cert, { method: 'GET', path: '/healthz' })).status, 200);
  });

  test('a client that never starts TLS is closed', async () => {
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port: webhook.port });
      socket.on('close', () => resolve());
      socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? resolve() : reject(error)));
    });
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
  });
});

describe('webhook over HTTPS: reloads', () => {
  test('certificate rotation: no request dropped, new connections get the new certificate', async () => {
    const oldPrint = fingerprint(readFileSync(files.cert, 'utf8'));
    const next = await issueServingCertificate(ca, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    const keepAlive = new https.Agent({ keepAlive: true, maxSockets: 4, ca: ca.cert });
    const failures: string[] = [];
    let sent = 0;
    let running = true;
    const body = JSON.stringify(review(pod({ namespace: 'shop' })));
    const client = async (agent: https.Agent | false) => {
      while (running) {
        sent++;
        try {
          const reply = await request(webhook.port, ca.cert, { body, agent });
          if (reply.status !== 200 || !(JSON.parse(reply.body) as AdmissionReviewResponse).response.patch) failures.push(`status ${reply.status}`);
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    };
    const clients = [client(keepAlive), client(keepAlive), client(false), client(false)];
    await sleep(150);
    // Not atomic as a pair: the certificate first, then the key, as a careless rotation does.
    writeFileSync(files.cert, next.cert);
    await sleep(80);
    writeFileSync(files.key, next.key);
    await until('the new certificate on new connections', async () => (await request(webhook.port, ca.cert, { method: 'GET', path: '/healthz' })).certificate === fingerprint(next.cert));
    await sleep(150);
    running = false;
    await Promise.all(clients);
    keepAlive.destroy();
    assert.deepEqual(failures, []);
    assert.ok(sent > 20, `only ${sent} requests`);
    assert.notEqual(oldPrint, fingerprint(next.cert));
  });

  test('a broken certificate file is refused and the current one keeps serving', async () => {
    const current = fingerprint(readFileSync(files.cert, 'utf8'));
    const before = logs.length;
    replaceFile(files.cert, '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n');
    await until('the refusal in the log', () => logs.slice(before).some((l) => l.includes('serving certificate not reloaded')));
    const reply = await request(webhook.port, ca.cert, { method: 'GET', path: '/healthz' });
    assert.equal(reply.status, 200);
    assert.equal(reply.certificate, current);
  });

  test('config reload: a new config applies; a broken one is refused and the last good one keeps serving', async () => {
    const ask = async () => (JSON.parse((await request(webhook.port, ca.cert, { body: JSON.stringify(review(pod({ namespace: 'shop' }))) })).body) as AdmissionReviewResponse).response;
    assert.ok((await ask()).patch, 'injected under the default policy');

    const good = readFileSync(defaultInjectConfigPath, 'utf8');
    replaceFile(files.config, `policy: disabled\n${good.replace(/^policy:.*$/m, '')}`);
    await until('policy disabled', async () => (await ask()).patch === undefined);

    const before = logs.length;
    replaceFile(files.config, 'policy: enabled\ntemplates:\n  sidecar: "{{ if }}"\n');
    await until('the refusal in the log', () => logs.slice(before).some((l) => /injection config not reloaded.*failed to parse template sidecar/.test(l)));
    assert.equal((await ask()).patch, undefined, 'the last good config (policy disabled) still serves');

    // A good config with a broken mesh config is refused as a whole.
    const beforeMesh = logs.length;
    replaceFile(files.mesh, 'defaultConfig:\n  noSuchField: 1\n');
    replaceFile(files.config, good);
    await until('the refusal of the mesh config', () => logs.slice(beforeMesh).some((l) => /--meshConfigFile.*noSuchField/.test(l)));
    assert.equal((await ask()).patch, undefined, 'the last good config (policy disabled) still serves');

    replaceFile(files.mesh, 'defaultConfig:\n  discoveryAddress: istiod.istio-system.svc:15012\n');
    await until('injection again', async () => (await ask()).patch !== undefined);
    const text = (await request(webhook.port, ca.cert, { method: 'GET', path: '/metrics' })).body;
    assert.match(text, /^sidecar_injection_reloads_total\{kind="config",result="failure"\} [1-9]/m);
    assert.match(text, /^sidecar_injection_reloads_total\{kind="config",result="success"\} [1-9]/m);
    assert.match(text, /^sidecar_injection_reloads_total\{kind="certificate",result="success"\} [1-9]/m);
    assert.match(text, /^sidecar_injection_skip_total\{reason="policy_disabled"\} [1-9]/m);
  });
});
