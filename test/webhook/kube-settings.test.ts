// The webhook with its config from the Kubernetes API: the FAKE API server
// (test/support/fake-kube-api.ts) holds the istio-sidecar-injector and istio ConfigMaps, the
// injector serves real AdmissionReviews over HTTPS, and ConfigMap edits, broken edits and
// deletions are pushed as watch events.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeInjectError } from '../../src/inject/kube-inject.js';
import { KubeClient } from '../../src/kube/api/index.js';
import { setSink } from '../../src/log/index.js';
import { createCertificateAuthority, issueServingCertificate, startWebhookServer, WebhookMetrics } from '../../src/webhook/index.js';
import type { WebhookServer } from '../../src/webhook/index.js';
import { configMapNames, KubeSettingsSource, settingsFromConfigMaps } from '../../src/webhook/kube-settings-source.js';
import type { SettingsContext } from '../../src/webhook/kube-settings-source.js';
import { FakeKubeApi, configMap } from '../support/fake-kube-api.js';
import { pod, review } from './helpers.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'inject', 'fixtures');
const injectConfig = readFileSync(path.join(fixtures, 'istio-inject-config.yaml'), 'utf8');
const values = readFileSync(path.join(fixtures, 'istio-values.yaml'), 'utf8');
const mesh = readFileSync(path.join(fixtures, 'istio-mesh.yaml'), 'utf8');

let api: FakeKubeApi;
const logs: string[] = [];
let restoreSink: ReturnType<typeof setSink>;
before(async () => {
  api = await FakeKubeApi.start({ tokens: ['t'] });
  restoreSink = setSink((line) => logs.push(line));
});
after(async () => {
  setSink(restoreSink);
  await api.close();
});

const client = () => new KubeClient({ server: new URL(api.url), ca: Buffer.from(api.ca.cert), token: () => 't' });
const fast = { initialMs: 20, maxMs: 200 };

async function eventually(condition: () => boolean, what: string, ms = 4000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function post(port: number, ca: string, body: unknown): Promise<{ response: { uid: string; allowed: boolean; patch?: string; status?: { message?: string } } }> {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const req = https.request({ host: '127.0.0.1', port, method: 'POST', path: '/inject', ca, agent: false, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) } }, (res) => {
      let answer = '';
      res.on('data', (c: Buffer) => (answer += c.toString()));
      res.on('end', () => resolve(JSON.parse(answer)));
    });
    req.on('error', reject);
    req.end(text);
  });
}

const patchText = (answer: { response: { patch?: string } }) => Buffer.from(answer.response.patch ?? '', 'base64').toString();

describe('settingsFromConfigMaps (pure)', () => {
  const context: SettingsContext = { namespace: 'istio-system', injectConfigMap: 'istio-sidecar-injector', meshConfigMap: 'istio', revision: '', env: {}, nativeSidecars: false };
  const cases: { name: string; inputs: Parameters<typeof settingsFromConfigMaps>[0]; context?: Partial<SettingsContext>; expect: RegExp | ((s: ReturnType<typeof settingsFromConfigMaps>) => void) }[] = [
    { name: 'all three keys', inputs: { config: injectConfig, values, mesh }, expect: (s) => {
      assert.equal(s.meshConfig['trustDomain'], 'example.local');
      assert.equal((s.values['global'] as Record<string, unknown>)['tag'], '1.24.0');
      assert.deepEqual(s.config.injectedAnnotations, { 'example.com/injected-by': 'tests' });
    } },
    { name: 'no values, no mesh: defaults', inputs: { config: injectConfig }, expect: (s) => assert.equal(s.meshConfig['trustDomain'], 'cluster.local') },
    { name: 'a revision names itself in the values', inputs: { config: injectConfig }, context: { revision: 'canary', nativeSidecars: true }, expect: (s) => {
      assert.equal(s.values['revision'], 'canary');
      assert.equal(s.nativeSidecars, true);
    } },
    { name: 'no config key', inputs: { values }, expect: /^ConfigMap istio-system\/istio-sidecar-injector key "config": missing/ },
    { name: 'a bad policy', inputs: { config: 'policy: sometimes\n' }, expect: /^ConfigMap istio-system\/istio-sidecar-injector key "config": injection config: invalid policy "sometimes"/ },
    { name: 'a template that does not parse', inputs: { config: 'templates:\n  sidecar: "{{ if }"\n' }, expect: /^ConfigMap istio-system\/istio-sidecar-injector key "config": / },
    { name: 'values that are not a map', inputs: { config: injectConfig, values: '[1]' }, expect: /^ConfigMap istio-system\/istio-sidecar-injector key "values": values: expected a map/ },
    { name: 'an unknown ProxyConfig field', inputs: { config: injectConfig, mesh: 'defaultConfig:\n  noSuchField: 1\n' }, expect: /^ConfigMap istio-system\/istio key "mesh": / },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const run = () => settingsFromConfigMaps(c.inputs, { ...context, ...c.context });
      if (c.expect instanceof RegExp) assert.throws(run, (error: unknown) => error instanceof KubeInjectError && (c.expect as RegExp).test(error.message));
      else c.expect(run());
    });
  }

  test('a revision\'s ConfigMap names', () => {
    assert.deepEqual(configMapNames(), { injectConfigMap: 'istio-sidecar-injector', meshConfigMap: 'istio' });
    assert.deepEqual(configMapNames('canary'), { injectConfigMap: 'istio-sidecar-injector-canary', meshConfigMap: 'istio-canary' });
    assert.deepEqual(configMapNames('default'), configMapNames());
  });
});

describe('KubeSettingsSource', () => {
  let ca: string;
  let certDir: string;
  before(async () => {
    const authority = await createCertificateAuthority();
    ca = authority.cert;
    const serving = await issueServingCertificate(authority, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    certDir = mkdtempSync(path.join(tmpdir(), 'outrigger-kube-settings-'));
    writeFileSync(path.join(certDir, 'tls.crt'), serving.cert);
    writeFileSync(path.join(certDir, 'tls.key'), serving.key);
  });
  after(() => rmSync(certDir, { recursive: true, force: true }));

  async function serve(namespace: string): Promise<{ source: KubeSettingsSource; server: WebhookServer; metrics: WebhookMetrics; kube: KubeClient; close: () => Promise<void> }> {
    const kube = client();
    const metrics = new WebhookMetrics();
    const source = await KubeSettingsSource.open({ client: kube, namespace, env: {}, backoff: fast, onReload: (ok) => metrics.recordReload('config', ok) });
    const server = await startWebhookServer({ settings: source, metrics, port: 0, host: '127.0.0.1', certFile: path.join(certDir, 'tls.crt'), keyFile: path.join(certDir, 'tls.key'), cache: false });
    return {
      source,
      server,
      metrics,
      kube,
      close: async () => {
        source.close();
        await server.close();
        kube.close();
      },
    };
  }

  test('serves injection with the ConfigMaps\' config; an edit reloads it; a broken edit keeps the last good one', async () => {
    const ns = 'mesh-a';
    api.put('configmaps', configMap(ns, 'istio-sidecar-injector', { config: injectConfig, values }));
    api.put('configmaps', configMap(ns, 'istio', { mesh }));
    // Another ConfigMap in the namespace changes nothing.
    api.put('configmaps', configMap(ns, 'unrelated', { x: '1' }));
    const { source, server, metrics, close } = await serve(ns);
    try {
      const first = await post(server.port, ca, review(pod(), { uid: 'a-1' }));
      assert.equal(first.response.allowed, true);
      assert.match(patchText(first), /"example.com\/injected-by":"tests"/);
      assert.match(patchText(first), /"--drainDuration","1m30s"/, 'the mesh ConfigMap\'s drainDuration');
      await eventually(() => api.openWatches >= 2, 'the watches');

      // An edit of the injector ConfigMap: the next pod gets the new annotation.
      api.put('configmaps', configMap(ns, 'istio-sidecar-injector', { config: injectConfig.replace('injected-by: tests', 'injected-by: edited'), values }));
      await eventually(() => source.reloads.ok === 1, 'the reload');
      assert.match(patchText(await post(server.port, ca, review(pod(), { uid: 'a-2' }))), /"example.com\/injected-by":"edited"/);

      // A broken edit: refused, logged, counted; the edited config keeps serving.
      api.put('configmaps', configMap(ns, 'istio-sidecar-injector', { config: 'policy: sometimes\n', values }));
      await eventually(() => source.reloads.failed === 1, 'the refused reload');
      assert.ok(logs.some((l) => /\terror\twebhook\tinjection config not reloaded, the last good config keeps serving: ConfigMap mesh-a\/istio-sidecar-injector key "config": injection config: invalid policy "sometimes"/.test(l)), logs.join('\n'));
      assert.match(patchText(await post(server.port, ca, review(pod(), { uid: 'a-3' }))), /"example.com\/injected-by":"edited"/);
      assert.match(metrics.render(), /sidecar_injection_reloads_total\{kind="config",result="failure"\} 1/);
      assert.match(metrics.render(), /sidecar_injection_reloads_total\{kind="config",result="success"\} 1/);

      // A label-only edit of the broken ConfigMap is not another attempt; a good mesh edit is taken
      // on its own, with the last good injector config; then a fix is taken.
      api.put('configmaps', { ...configMap(ns, 'istio-sidecar-injector', { config: 'policy: sometimes\n', values }), metadata: { name: 'istio-sidecar-injector', namespace: ns, labels: { x: 'y' } } });
      api.put('configmaps', configMap(ns, 'istio', { mesh: mesh.replace('drainDuration: 90s', 'drainDuration: 45s') }));
      await eventually(() => source.reloads.ok === 2, 'the mesh edit');
      assert.equal(source.reloads.failed, 1);
      const meshEdited = patchText(await post(server.port, ca, review(pod(), { uid: 'a-4' })));
      assert.match(meshEdited, /"--drainDuration","45s"/);
      assert.match(meshEdited, /"example.com\/injected-by":"edited"/);
      api.put('configmaps', configMap(ns, 'istio-sidecar-injector', { config: injectConfig.replace('injected-by: tests', 'injected-by: fixed'), values }));
      await eventually(() => source.reloads.ok === 3, 'the fix');
      const fixed = patchText(await post(server.port, ca, review(pod(), { uid: 'a-5' })));
      assert.match(fixed, /"example.com\/injected-by":"fixed"/);
      assert.match(fixed, /"--drainDuration","45s"/);
      // A broken mesh edit is refused the same way.
      api.put('configmaps', configMap(ns, 'istio', { mesh: 'defaultConfig: [1]\n' }));
      await eventually(() => source.reloads.failed === 2, 'the refused mesh edit');
      assert.ok(logs.some((l) => /injection config not reloaded, the last good config keeps serving: ConfigMap mesh-a\/istio key "mesh": /.test(l)));
      assert.match(patchText(await post(server.port, ca, review(pod(), { uid: 'a-6' }))), /"--drainDuration","45s"/);
    } finally {
      await close();
    }
  });

  test('deleted ConfigMaps keep the last good config; recreating them reloads', async () => {
    const ns = 'mesh-b';
    api.put('configmaps', configMap(ns, 'istio-sidecar-injector', { config: injectConfig, values }));
    api.put('configmaps', configMap(ns, 'istio', { mesh }));
    const { source, server, close } = await serve(ns);
    try {
      await eventually(() => api.openWatches >= 2, 'the watches');
      api.remove('configmaps', ns, 'istio-sidecar-injector');
      api.remove('configmaps', ns, 'istio');
      await eventually(() => logs.some((l) => /ConfigMap mesh-b\/istio was deleted; the last good mesh config keeps serving/.test(l)), 'the log line');
      assert.ok(logs.some((l) => /\twarn\twebhook\tConfigMap mesh-b\/istio-sidecar-injector was deleted; the last good injection config keeps serving/.test(l)));
      const answer = patchText(await post(server.port, ca, review(pod(), { uid: 'b-1' })));
      assert.match(answer, /"example.com\/injected-by":"tests"/);
      assert.match(answer, /"--drainDuration","1m30s"/);
      assert.deepEqual(source.reloads, { ok: 0, failed: 0 });
      api.put('configmaps', configMap(ns, 'istio-sidecar-injector', { config: injectConfig.replace('injected-by: tests', 'injected-by: recreated'), values }));
      await eventually(() => source.reloads.ok === 1, 'the reload');
      assert.match(patchText(await post(server.port, ca, review(pod(), { uid: 'b-2' }))), /"example.com\/injected-by":"recreated"/);
    } finally {
      await close();
    }
  });

  test('follows the ConfigMaps through a dropped watch and a 410 relist', async () => {
    const ns = 'mesh-c';
    api.put('configmaps', configMap(ns, 'istio-sidecar-injector', { config: injectConfig, values }));
    const { source, close } = await serve(ns);
    try {
      assert.equal(source.current().meshConfig['trustDomain'], 'cluster.local', 'no istio ConfigMap: the default mesh config');
      await eventually(() => api.openWatches >= 2, 'the watches');
      api.dropWatches();
      api.put('configmaps', configMap(ns, 'istio', { mesh }));
      api.compact();
      await eventually(() => source.current().meshConfig['trustDomain'] === 'example.local', 'the mesh config after the relist');
    } finally {
      await close();
    }
  });

  test('open fails clearly: no injector ConfigMap, a broken one, no permission, no API server', async () => {
    const kube = client();
    try {
      const failsWith = (pattern: RegExp) => (error: unknown) => error instanceof KubeInjectError && pattern.test(error.message);
      await assert.rejects(KubeSettingsSource.open({ client: kube, namespace: 'empty', env: {}, backoff: fast }), failsWith(/^ConfigMap empty\/istio-sidecar-injector not found/));
      api.put('configmaps', configMap('broken', 'istio-sidecar-injector', { config: 'policy: sometimes\n' }));
      await assert.rejects(KubeSettingsSource.open({ client: kube, namespace: 'broken', env: {}, backoff: fast }), /key "config": injection config: invalid policy "sometimes"/);
      api.forbidden.add('configmaps');
      await assert.rejects(KubeSettingsSource.open({ client: kube, namespace: 'broken', env: {}, backoff: fast }), /cannot read the injection ConfigMaps from the Kubernetes API: GET .*: 403 Forbidden: configmaps is forbidden/);
    } finally {
      api.forbidden.delete('configmaps');
      kube.close();
    }
    const nowhere = new KubeClient({ server: new URL('https://127.0.0.1:1'), ca: Buffer.from(api.ca.cert) });
    await assert.rejects(KubeSettingsSource.open({ client: nowhere, env: {}, backoff: fast, syncTimeoutMs: 300 }), /the Kubernetes API did not answer within 300 ms: .*ECONNREFUSED/);
    nowhere.close();
  });
});
