// End to end: `bin/outrigger webhook serve --kubeconfig <file>` (the compiled dist/: build
// first with `npx tsc -p tsconfig.json`) against the FAKE API server
// (test/support/fake-kube-api.ts), answering real AdmissionReviews over HTTPS with the config
// taken from the ConfigMaps, reloading an edit, and deciding native sidecars from the nodes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify as stringifyYaml } from 'yaml';
import { FakeKubeApi, configMap, node } from '../support/fake-kube-api.js';
import { pod, review } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.resolve(here, '..', '..', 'bin', 'outrigger');
const fixtures = path.resolve(here, '..', 'inject', 'fixtures');
const values = readFileSync(path.join(fixtures, 'istio-values.yaml'), 'utf8');
const mesh = readFileSync(path.join(fixtures, 'istio-mesh.yaml'), 'utf8');
// Outrigger's own config (its template knows native sidecars), with an annotation to recognise it by.
const defaultConfig = readFileSync(path.resolve(here, '..', '..', 'manifests', 'injection', 'config.yaml'), 'utf8').replace(/^injectedAnnotations: \{\}$/m, 'injectedAnnotations: {example.com/injected-by: tests}');

let api: FakeKubeApi;
let dir: string;
let kubeconfig: string;
before(async () => {
  api = await FakeKubeApi.start({ tokens: ['webhook-token'] });
  dir = mkdtempSync(path.join(tmpdir(), 'outrigger-webhook-kube-cli-'));
  writeFileSync(path.join(dir, 'ca.crt'), api.ca.cert);
  kubeconfig = path.join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, stringifyYaml({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'fake',
    clusters: [{ name: 'fake', cluster: { server: api.url, 'certificate-authority': 'ca.crt' } }],
    users: [{ name: 'injector', user: { token: 'webhook-token' } }],
    contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'injector' } }],
  }));
  const certs = await run(['webhook', 'certs', '-o', path.join(dir, 'certs'), '--ipAddress', '127.0.0.1']);
  assert.equal(certs.status, 0, certs.stderr);
});
after(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string> = {}): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env } }, (error, stdout, stderr) => {
      resolve({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const tlsFlags = () => ['--tlsCertFile', path.join(dir, 'certs', 'tls.crt'), '--tlsKeyFile', path.join(dir, 'certs', 'tls.key')];

async function start(args: string[], env: Record<string, string>): Promise<{ child: ChildProcessWithoutNullStreams; port: number; stderr: () => string }> {
  const child = spawn(process.execPath, [bin, 'webhook', 'serve', '--port', '0', '--host', '127.0.0.1', ...tlsFlags(), ...args], { env: { PATH: process.env['PATH'] ?? '', ...env } });
  let stderr = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      const m = /serving https on 127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', () => reject(new Error(`exited: ${stderr}`)));
  });
  return { child, port, stderr: () => stderr };
}

function inject(port: number, uid: string): Promise<{ uid: string; allowed: boolean; patch: string }> {
  const body = JSON.stringify(review(pod(), { uid }));
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, method: 'POST', path: '/inject', ca: readFileSync(path.join(dir, 'certs', 'ca.crt')), agent: false, headers: { 'Content-Type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        const response = (JSON.parse(text) as { response: { uid: string; allowed: boolean; patch?: string } }).response;
        resolve({ ...response, patch: Buffer.from(response.patch ?? '', 'base64').toString() });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

function stop(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  return new Promise((resolve) => {
    child.on('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

describe('outrigger webhook serve --kubeconfig', () => {
  test('config from the ConfigMaps, an edit reloaded, native sidecars from the nodes, SIGTERM', async () => {
    assert.match(defaultConfig, /example.com\/injected-by: tests/);
    api.put('configmaps', configMap('istio-system', 'istio-sidecar-injector', { config: defaultConfig, values }));
    api.put('configmaps', configMap('istio-system', 'istio', { mesh }));
    api.put('nodes', node('node-a', 'v1.30.2'));
    api.put('nodes', node('node-b', 'v1.29.0-eks-1'));
    const { child, port, stderr } = await start(['--kubeconfig', kubeconfig], { ENABLE_NATIVE_SIDECARS: 'auto' });
    try {
      assert.match(stderr(), /native sidecars on: ENABLE_NATIVE_SIDECARS=auto: all 2 nodes run kubelet v1\.29 or later/);
      assert.match(stderr(), /injection config from ConfigMap istio-system\/istio-sidecar-injector and istio-system\/istio/);
      const first = await inject(port, 'kube-cli-1');
      assert.equal(first.uid, 'kube-cli-1');
      assert.equal(first.allowed, true);
      assert.match(first.patch, /"example.com\/injected-by":"tests"/);
      assert.match(first.patch, /example\.local/, 'the mesh ConfigMap\'s trustDomain');
      // Native: istio-proxy is an init container that restarts always.
      assert.match(first.patch, /"path":"\/spec\/initContainers","value":\[[^\]]*"name":"istio-init".*"name":"istio-proxy".*"restartPolicy":"Always"/);
      assert.ok(api.requests.some((r) => r.authorization === 'Bearer webhook-token' && r.path === '/api/v1/namespaces/istio-system/configmaps' && r.query.get('watch') === '1'));

      api.put('configmaps', configMap('istio-system', 'istio-sidecar-injector', { config: defaultConfig.replace('injected-by: tests', 'injected-by: edited'), values }));
      const deadline = Date.now() + 5000;
      let patch = '';
      while (Date.now() < deadline && !/injected-by":"edited"/.test(patch)) {
        patch = (await inject(port, 'kube-cli-2')).patch;
        await sleep(20);
      }
      assert.match(patch, /"example.com\/injected-by":"edited"/);
      assert.match(stderr(), /injection config reloaded from the Kubernetes API/);
    } finally {
      assert.equal(await stop(child), 0, stderr());
    }
  });

  test('ConfigMaps under another name and namespace; native sidecars off for an old node', async () => {
    api.put('configmaps', configMap('mesh-system', 'injector-canary', { config: defaultConfig.replace('injected-by: tests', 'injected-by: canary') }));
    api.put('nodes', node('node-old', 'v1.28.3'));
    const { child, port, stderr } = await start(['--kubeconfig', kubeconfig, '--configSource', 'kubernetes', '--istioNamespace', 'mesh-system', '--injectConfigMapName', 'injector-canary', '--meshConfigMapName', 'mesh-canary'], { ENABLE_NATIVE_SIDECARS: 'auto' });
    try {
      assert.match(stderr(), /native sidecars off: ENABLE_NATIVE_SIDECARS=auto: 1 of 3 nodes run a kubelet before v1\.29: node-old \(v1\.28\.3\)/);
      assert.match(stderr(), /no ConfigMap mesh-system\/mesh-canary, default mesh config/);
      const answer = await inject(port, 'kube-cli-3');
      assert.match(answer.patch, /"example.com\/injected-by":"canary"/);
      assert.match(answer.patch, /"path":"\/spec\/containers\/-","value":\{"name":"istio-proxy"/, 'istio-proxy as an ordinary container');
      assert.doesNotMatch(answer.patch, /"restartPolicy":"Always"/);
    } finally {
      assert.equal(await stop(child), 0, stderr());
      api.remove('nodes', '', 'node-old');
    }
  });

  test('usage errors: no API to read, an unreadable kubeconfig, no permission, files and kubernetes together', async () => {
    for (const [args, env, message] of [
      [['--configSource', 'kubernetes'], {}, /^Error: --configSource kubernetes: no Kubernetes API to read: give --kubeconfig, set KUBECONFIG, or run in a pod/],
      [['--kubeconfig', path.join(dir, 'missing')], {}, /^Error: --kubeconfig: kubeconfig: cannot read ".*missing": no such file/],
      [['--configSource', 'kubernetes', '--injectConfigFile', path.join(fixtures, 'istio-inject-config.yaml')], {}, /^Error: --configSource kubernetes reads the ConfigMaps: do not give/],
      [['--kubeconfig', kubeconfig, '--istioNamespace', 'nowhere'], {}, /^Error: ConfigMap nowhere\/istio-sidecar-injector not found/],
      [['--istioNamespace', 'nowhere'], { KUBECONFIG: kubeconfig }, /^Error: ConfigMap nowhere\/istio-sidecar-injector not found .*\(the Kubernetes API was chosen because \$KUBECONFIG is set; --configSource files serves the files or Outrigger's defaults instead\)/],
      [['--kubeconfig', kubeconfig], { ENABLE_NATIVE_SIDECARS: 'maybe' }, /^Error: invalid value "maybe" for ENABLE_NATIVE_SIDECARS/],
    ] as const) {
      const result = await run(['webhook', 'serve', '--port', '0', '--host', '127.0.0.1', ...tlsFlags(), ...args], env);
      assert.equal(result.status, 1, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
    api.forbidden.add('configmaps');
    try {
      const result = await run(['webhook', 'serve', '--port', '0', ...tlsFlags(), '--kubeconfig', kubeconfig]);
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stderr, /^Error: cannot read the injection ConfigMaps from the Kubernetes API: GET \/api\/v1\/namespaces\/istio-system\/configmaps: 403 Forbidden/m);
    } finally {
      api.forbidden.delete('configmaps');
    }
  });
});
