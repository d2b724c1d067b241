// `outrigger webhook`, `webhook install-config` and `webhook certs` from the command line
// (bin/outrigger runs the compiled dist/: build first).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { MutatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1/MutatingWebhookConfiguration';
import { pod, review } from './helpers.js';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'outrigger');
const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'inject', 'fixtures');

function run(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { PATH: process.env['PATH'] ?? '' } }, (error, stdout, stderr) => {
      resolve({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

let dir: string;
before(() => void (dir = mkdtempSync(path.join(tmpdir(), 'outrigger-webhook-cli-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('outrigger webhook certs', () => {
  test('a CA and a serving certificate with the Service names as SANs', async () => {
    const out = path.join(dir, 'certs');
    const result = await run(['webhook', 'certs', '-o', out, '-n', 'mesh', '-r', 'canary', '--dnsName', 'injector.example', '--ipAddress', '127.0.0.1']);
    assert.equal(result.status, 0, result.stderr);
    const ca = new X509Certificate(readFileSync(path.join(out, 'ca.crt')));
    const serving = new X509Certificate(readFileSync(path.join(out, 'tls.crt')));
    assert.ok(ca.ca);
    assert.ok(serving.verify(ca.publicKey), 'signed by the CA');
    assert.ok(serving.checkIssued(ca));
    assert.equal(serving.subjectAltName, [
      'DNS:istiod.mesh.svc', 'DNS:istio-sidecar-injector.mesh.svc', 'DNS:istio-pilot.mesh.svc',
      'DNS:istiod-canary.mesh.svc', 'DNS:istio-sidecar-injector-canary.mesh.svc', 'DNS:injector.example', 'IP Address:127.0.0.1',
    ].join(', '));
    assert.ok(serving.checkHost('istiod-canary.mesh.svc'));
    assert.deepEqual(serving.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    for (const key of ['ca.key', 'tls.key']) assert.equal(statSync(path.join(out, key)).mode & 0o777, 0o600);

    // Signing again with the same CA: a rotation the API server's caBundle already trusts.
    const again = path.join(dir, 'certs2');
    const second = await run(['webhook', 'certs', '-o', again, '--caCertFile', path.join(out, 'ca.crt'), '--caKeyFile', path.join(out, 'ca.key')]);
    assert.equal(second.status, 0, second.stderr);
    assert.ok(new X509Certificate(readFileSync(path.join(again, 'tls.crt'))).verify(ca.publicKey));
    assert.deepEqual(readFileSync(path.join(again, 'ca.crt'), 'utf8'), readFileSync(path.join(out, 'ca.crt'), 'utf8'));
  });

  test('usage errors', async () => {
    for (const [args, message] of [
      [['webhook', 'certs', '-o', path.join(dir, 'x'), '--caCertFile', 'ca.crt'], /--caCertFile and --caKeyFile go together/],
      [['webhook', 'certs', '-o', path.join(dir, 'x'), '--days', '0'], /invalid value "0" for --days/],
      [['webhook', 'certs'], /required option '-o, --outDir <dir>' not specified/],
    ] as const) {
      const result = await run([...args]);
      assert.equal(result.status, 1);
      assert.match(result.stderr, message);
    }
  });
});

describe('outrigger webhook install-config', () => {
  const entries = (text: string) => (parseYaml(text) as { webhooks: { name: string }[] }).webhooks.map((w) => w.name);

  test('the default revision: four entries, valid against the Kubernetes schema', async () => {
    const caFile = path.join(dir, 'ca-for-bundle.crt');
    const pem = new X509Certificate(readFileSync(path.join(dir, 'certs', 'ca.crt'))).toString();
    writeFileSync(caFile, pem);
    const result = await run(['webhook', 'install-config', '--caBundleFile', caFile, '--failurePolicy', 'Ignore', '--timeoutSeconds', '5']);
    assert.equal(result.status, 0, result.stderr);
    assert.ok(!/[&*]a\d/.test(result.stdout), 'no YAML anchors');
    const config = parseYaml(result.stdout) as Record<string, unknown>;
    new MutatingWebhookConfiguration(config as never).validate();
    assert.deepEqual(entries(result.stdout), [
      'rev.namespace.sidecar-injector.istio.io',
      'rev.object.sidecar-injector.istio.io',
      'namespace.sidecar-injector.istio.io',
      'object.sidecar-injector.istio.io',
    ]);
    const webhooks = (config as { webhooks: Record<string, unknown>[] }).webhooks;
    for (const w of webhooks) {
      assert.equal(w['failurePolicy'], 'Ignore');
      assert.equal(w['timeoutSeconds'], 5);
      assert.equal(w['sideEffects'], 'None');
      assert.deepEqual(w['admissionReviewVersions'], ['v1', 'v1beta1']);
      assert.equal(Buffer.from(String((w['clientConfig'] as Record<string, unknown>)['caBundle']), 'base64').toString(), pem);
    }
    assert.deepEqual(webhooks[2]!['namespaceSelector'], { matchExpressions: [{ key: 'istio-injection', operator: 'In', values: ['enabled'] }] });
    assert.deepEqual(webhooks[3]!['objectSelector'], { matchExpressions: [{ key: 'sidecar.istio.io/inject', operator: 'In', values: ['true'] }, { key: 'istio.io/rev', operator: 'DoesNotExist' }] });
  });

  test('a revision: its two entries, its Service, the cluster and network in the path', async () => {
    const result = await run(['webhook', 'install-config', '-r', 'canary', '-n', 'mesh', '--cluster', 'east', '--network', 'net-1', '--reinvocationPolicy', 'IfNeeded']);
    assert.equal(result.status, 0, result.stderr);
    const config = parseYaml(result.stdout) as { metadata: { name: string }; webhooks: Record<string, Record<string, unknown>>[] };
    new MutatingWebhookConfiguration(config as never).validate();
    assert.equal(config.metadata.name, 'istio-sidecar-injector-canary');
    assert.deepEqual(entries(result.stdout), ['rev.namespace.sidecar-injector.istio.io', 'rev.object.sidecar-injector.istio.io']);
    assert.deepEqual(config.webhooks[0]!['clientConfig']!['service'], { name: 'istiod-canary', namespace: 'mesh', path: '/inject/cluster/east/net/net-1', port: 443 });
    assert.equal(config.webhooks[0]!['reinvocationPolicy'], 'IfNeeded');
  });

  test('an injector outside the cluster, by URL', async () => {
    const result = await run(['webhook', 'install-config', '--url', 'https://10.0.0.5:15017/inject']);
    const config = parseYaml(result.stdout) as { webhooks: { clientConfig: Record<string, unknown> }[] };
    new MutatingWebhookConfiguration(config as never).validate();
    assert.deepEqual(config.webhooks[0]!.clientConfig, { url: 'https://10.0.0.5:15017/inject', caBundle: '' });
  });

  test('usage errors', async () => {
    for (const [args, message] of [
      [['--timeoutSeconds', '31'], /invalid value "31" for --timeoutSeconds/],
      [['--failurePolicy', 'Maybe'], /Allowed choices are Fail, Ignore/],
      [['--url', 'http://x/inject'], /https only/],
      [['--caBundleFile', path.join(fixtures, 'istio-mesh.yaml')], /not a PEM certificate/],
      [['--caBundleFile', path.join(dir, 'missing.crt')], /--caBundleFile: cannot read .*: no such file/],
    ] as const) {
      const result = await run(['webhook', 'install-config', ...args]);
      assert.equal(result.status, 1, `${args.join(' ')}: ${result.stdout}`);
      assert.match(result.stderr, message);
    }
  });
});

describe('outrigger webhook (serve)', () => {
  test('serves injection over HTTPS with Istio\'s ConfigMap files, and stops on SIGTERM', async () => {
    const certs = path.join(dir, 'serve-certs');
    assert.equal((await run(['webhook', 'certs', '-o', certs, '--ipAddress', '127.0.0.1'])).status, 0);
    const child = spawn(process.execPath, [
      bin, 'webhook', '--port', '0', '--host', '127.0.0.1',
      '--tlsCertFile', path.join(certs, 'tls.crt'), '--tlsKeyFile', path.join(certs, 'tls.key'),
      '--injectConfigFile', path.join(fixtures, 'istio-inject-config.yaml'), '--valuesFile', path.join(fixtures, 'istio-values.yaml'), '--meshConfigFile', path.join(fixtures, 'istio-mesh.yaml'),
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const port = await new Promise<number>((resolve, reject) => {
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        const m = /serving https on 127\.0\.0\.1:(\d+)/.exec(stderr);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', () => reject(new Error(`exited: ${stderr}`)));
    });
    const body = JSON.stringify(review(pod(), { uid: 'cli-1' }));
    const answer = await new Promise<string>((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port, method: 'POST', path: '/inject', ca: readFileSync(path.join(certs, 'ca.crt')), headers: { 'Content-Type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end(body);
    });
    const response = (JSON.parse(answer) as { response: { uid: string; allowed: boolean; patch?: string } }).response;
    assert.equal(response.uid, 'cli-1');
    assert.equal(response.allowed, true);
    assert.match(Buffer.from(response.patch ?? '', 'base64').toString(), /"example.com\/injected-by":"tests"/);
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', (c) => resolve(c));
      child.kill('SIGTERM');
    });
    assert.equal(code, 0, stderr);
  });

  test('usage errors: no certificate, a broken config at start', async () => {
    const certs = path.join(dir, 'serve-certs');
    const missing = await run(['webhook', '--port', '0']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^Error: --tlsCertFile and --tlsKeyFile are required/);
    const broken = path.join(dir, 'broken-config.yaml');
    writeFileSync(broken, 'policy: sometimes\n');
    const bad = await run(['webhook', '--port', '0', '--tlsCertFile', path.join(certs, 'tls.crt'), '--tlsKeyFile', path.join(certs, 'tls.key'), '--injectConfigFile', broken]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^Error: --injectConfigFile: injection config: invalid policy "sometimes"/);
    const wrongKey = await run(['webhook', '--port', '0', '--tlsCertFile', path.join(certs, 'tls.crt'), '--tlsKeyFile', path.join(dir, 'certs', 'tls.key')]);
    assert.equal(wrongKey.status, 1);
    assert.match(wrongKey.stderr, /^Error: .*key values mismatch/);
  });
});

describe('manifests/webhook', () => {
  test('mutating-webhook-configuration.yaml is what install-config prints', async () => {
    const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'manifests', 'webhook', 'mutating-webhook-configuration.yaml');
    const printed = await run(['webhook', 'install-config']);
    assert.equal(readFileSync(file, 'utf8').replace(/^#.*\n/gm, ''), printed.stdout);
  });
});
