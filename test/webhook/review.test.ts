// The webhook's pure core, with tables: decoding, the decision, the patch, the errors.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { injectObject } from '../../src/inject/kube-inject.js';
import { applyJsonPatch } from '../../src/kube/index.js';
import type { JsonPatchOperation } from '../../src/kube/index.js';
import { AdmissionReviewError, decodeAdmissionReview, reviewAdmission, reviewAdmissionBody } from '../../src/webhook/index.js';
import type { AdmissionReviewVersion, Review } from '../../src/webhook/index.js';
import { containerNames, defaultSettings, pod, proxyEnv, review, withConfig } from './helpers.js';

const settings = defaultSettings();
const run = (body: unknown, s = settings, path = '/inject'): Review => reviewAdmissionBody(JSON.stringify(body), s, { path });
const patchOf = (r: Review): JsonPatchOperation[] => JSON.parse(Buffer.from(r.response.response.patch ?? '', 'base64').toString('utf8')) as JsonPatchOperation[];

describe('decodeAdmissionReview', () => {
  const bad: [string, string, RegExp][] = [
    ['not JSON', '{"apiVersion":', /not JSON/],
    ['a JSON array', '[]', /expected a JSON object/],
    ['a JSON string', '"AdmissionReview"', /expected a JSON object/],
    ['another kind', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'Pod', request: { uid: 'u' } }), /kind is "Pod"/],
    ['an unknown version', JSON.stringify({ apiVersion: 'admission.k8s.io/v2', kind: 'AdmissionReview', request: { uid: 'u' } }), /apiVersion "admission.k8s.io\/v2" is not supported/],
    ['no request', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), /has no request/],
    ['no uid', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { object: {} } }), /request.uid is missing/],
    ['a response instead of a request', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u', allowed: true } }), /has no request/],
  ];
  for (const [name, body, message] of bad) {
    test(`rejects ${name}`, () => assert.throws(() => decodeAdmissionReview(body), (e: unknown) => e instanceof AdmissionReviewError && message.test(e.message)));
  }
  test('accepts v1 and v1beta1', () => {
    for (const version of ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const) assert.equal(decodeAdmissionReview(JSON.stringify(review(pod(), { version }))).apiVersion, version);
  });
});

describe('reviewAdmission: the answer', () => {
  for (const version of ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as AdmissionReviewVersion[]) {
    test(`${version}: answers in the version asked, with the uid, allowed, a JSONPatch`, () => {
      const r = run(review(pod(), { version, uid: 'a1b2c3' }));
      assert.equal(r.response.apiVersion, version);
      assert.equal(r.response.kind, 'AdmissionReview');
      assert.equal(r.response.response.uid, 'a1b2c3');
      assert.equal(r.response.response.allowed, true);
      assert.equal(r.response.response.patchType, 'JSONPatch');
      assert.equal(r.outcome.result, 'injected');
      assert.deepEqual(patchOf(r), (r.outcome as { patch: unknown }).patch);
    });
  }

  test('the patch, applied to the pod as sent, gives what kube-inject gives', () => {
    for (const p of [pod({ namespace: 'shop' }), pod({ namespace: 'shop', annotations: { 'traffic.sidecar.istio.io/excludeOutboundPorts': '3306', 'proxy.istio.io/config': 'holdApplicationUntilProxyStarts: true' } })]) {
      const r = run(review(p, { namespace: 'shop' }));
      assert.deepEqual(applyJsonPatch(p, patchOf(r)), injectObject(p, settings).object);
    }
  });

  test('the namespace comes from the request when the pod has none, and the patch leaves it alone', () => {
    const p = pod();
    const r = run(review(p, { namespace: 'shop' }));
    const patch = patchOf(r);
    assert.ok(!patch.some((op) => op.path.startsWith('/metadata/namespace')));
    const expected = injectObject(pod({ namespace: 'shop' }), settings).object as { metadata: Record<string, unknown> };
    delete expected.metadata['namespace'];
    assert.deepEqual(applyJsonPatch(p, patch), expected);
  });

  test('managedFields are ignored and left as they are', () => {
    const p = pod({ namespace: 'default' });
    (p['metadata'] as Record<string, unknown>)['managedFields'] = [{ manager: 'kubectl', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } }];
    const patch = patchOf(run(review(p)));
    assert.ok(!patch.some((op) => op.path.includes('managedFields')));
    assert.deepEqual((applyJsonPatch(p, patch) as { metadata: Record<string, unknown> }).metadata['managedFields'], (p['metadata'] as Record<string, unknown>)['managedFields']);
  });

  test('the patch is minimal: it adds, and never replaces the user\'s own containers', () => {
    const patch = patchOf(run(review(pod({ namespace: 'default' }))));
    assert.ok(patch.every((op) => op.op === 'add' || (op.op === 'replace' && op.path.startsWith('/spec/containers/0/readinessProbe'))), JSON.stringify(patch.map((op) => `${op.op} ${op.path}`)));
    assert.ok(patch.some((op) => op.path === '/metadata/annotations'), 'a pod without annotations gets the whole map');
  });

  test('re-invocation on an injected pod is a no-op: allowed, no patch', () => {
    const p = pod({ namespace: 'default' });
    const injected = applyJsonPatch(p, patchOf(run(review(p))));
    for (const version of ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const) {
      const again = run(review(injected, { version }));
      assert.deepEqual(again.response.response, { uid: again.response.response.uid, allowed: true });
      assert.deepEqual(again.outcome, { result: 'skipped', reason: 'no_change', detail: 'the pod is injected already' });
    }
  });
});

describe('reviewAdmission: the decision', () => {
  const config = {
    enabled: settings,
    disabled: withConfig(settings, 'policy: disabled\n'),
    selectors: withConfig(
      settings,
      'policy: enabled\nneverInjectSelector:\n- matchLabels: {legacy: "true"}\nalwaysInjectSelector:\n- matchExpressions: [{key: tier, operator: In, values: [web]}]\n',
    ),
    disabledAlways: withConfig(settings, 'policy: disabled\nalwaysInjectSelector:\n- matchLabels: {tier: web}\n'),
  };
  const cases: [string, keyof typeof config, Parameters<typeof pod>[0], string, string][] = [
    ['a plain pod, policy enabled', 'enabled', {}, 'default', 'injected'],
    ['a plain pod, policy disabled', 'disabled', {}, 'default', 'policy_disabled'],
    ['label inject=true, policy disabled', 'disabled', { labels: { 'sidecar.istio.io/inject': 'true' } }, 'default', 'injected'],
    ['annotation inject=true, policy disabled', 'disabled', { annotations: { 'sidecar.istio.io/inject': 'true' } }, 'default', 'injected'],
    ['label inject=false', 'enabled', { labels: { 'sidecar.istio.io/inject': 'false' } }, 'default', 'pod_disabled'],
    ['annotation inject=false', 'enabled', { annotations: { 'sidecar.istio.io/inject': 'false' } }, 'default', 'pod_disabled'],
    ['label true wins over annotation false', 'enabled', { labels: { 'sidecar.istio.io/inject': 'true' }, annotations: { 'sidecar.istio.io/inject': 'false' } }, 'default', 'injected'],
    ['label false wins over annotation true', 'enabled', { labels: { 'sidecar.istio.io/inject': 'false' }, annotations: { 'sidecar.istio.io/inject': 'true' } }, 'default', 'pod_disabled'],
    ['hostNetwork, even asked for', 'enabled', { hostNetwork: true, labels: { 'sidecar.istio.io/inject': 'true' } }, 'default', 'host_network'],
    ['kube-system', 'enabled', {}, 'kube-system', 'ignored_namespace'],
    ['kube-public, namespace from the request', 'enabled', {}, 'kube-public', 'ignored_namespace'],
    ['neverInjectSelector', 'selectors', { labels: { legacy: 'true' } }, 'default', 'never_inject_selector'],
    ['neverInjectSelector loses to the pod\'s label', 'selectors', { labels: { legacy: 'true', 'sidecar.istio.io/inject': 'true' } }, 'default', 'injected'],
    ['alwaysInjectSelector under policy disabled', 'disabledAlways', { labels: { tier: 'web' } }, 'default', 'injected'],
    ['alwaysInjectSelector not matching under policy disabled', 'disabledAlways', { labels: { tier: 'db' } }, 'default', 'policy_disabled'],
  ];
  for (const [name, which, options, namespace, expected] of cases) {
    for (const version of ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const) {
      test(`${name} (${version.slice(-7)})`, () => {
        const r = run(review(pod(options), { namespace, version }), config[which]);
        assert.equal(r.response.response.allowed, true);
        assert.equal(r.response.apiVersion, version);
        if (expected === 'injected') {
          assert.equal(r.outcome.result, 'injected');
          assert.ok(r.response.response.patch);
        } else {
          assert.equal(r.outcome.result === 'skipped' ? r.outcome.reason : r.outcome.result, expected);
          assert.equal(r.response.response.patch, undefined);
          assert.equal(r.response.response.patchType, undefined);
        }
      });
    }
  }
});

describe('reviewAdmission: what the pipeline is given', () => {
  const injected = (r: Review, p: unknown) => applyJsonPatch(p, patchOf(r));

  test('/inject/cluster/<c>/net/<n> sets the proxy\'s cluster and network', () => {
    const p = pod({ namespace: 'default' });
    const env = proxyEnv(injected(run(review(p), settings, '/inject/cluster/east/net/network-1'), p));
    assert.equal(env['ISTIO_META_CLUSTER_ID'], 'east');
    assert.equal(env['ISTIO_META_NETWORK'], 'network-1');
  });

  test('a pod made by a Deployment\'s ReplicaSet is named for the Deployment', () => {
    const p = pod({ namespace: 'default', labels: { 'pod-template-hash': '7d9c8b' } });
    const meta = p['metadata'] as Record<string, unknown>;
    delete meta['name'];
    meta['generateName'] = 'reviews-v1-7d9c8b-';
    meta['ownerReferences'] = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'reviews-v1-7d9c8b', uid: 'x', controller: true, blockOwnerDeletion: true }];
    const r = run(review(p));
    assert.equal(r.podName, 'default/reviews-v1-7d9c8b-***');
    const env = proxyEnv(injected(r, p));
    assert.equal(env['ISTIO_META_WORKLOAD_NAME'], 'reviews-v1');
    assert.equal(env['ISTIO_META_OWNER'], 'kubernetes://apis/apps/v1/namespaces/default/deployments/reviews-v1');
  });

  test('the revision names istiod-<rev> and the istio.io/rev annotation', () => {
    const p = pod({ namespace: 'default' });
    const out = injected(run(review(p), defaultSettings({}, 'canary')), p) as { metadata: { annotations: Record<string, string> } };
    assert.equal(out.metadata.annotations['istio.io/rev'], 'canary');
    assert.match(proxyEnv(out)['CA_ADDR'] ?? '', /^istiod-canary\./);
  });

  test('ENABLE_NATIVE_SIDECARS=true puts istio-proxy among the init containers', () => {
    const p = pod({ namespace: 'default' });
    const out = injected(run(review(p), defaultSettings({ ENABLE_NATIVE_SIDECARS: 'true' }), '/inject/cluster/c1/net/n1'), p);
    assert.ok(containerNames(out, 'initContainers').includes('istio-proxy'));
    assert.ok(!containerNames(out).includes('istio-proxy'));
    assert.equal(proxyEnv(out)['ISTIO_META_CLUSTER_ID'], 'c1');
  });

  test('injectedAnnotations, defaultTemplates and aliases come from the config', () => {
    const s = withConfig(
      settings,
      [
        'injectedAnnotations: {example.com/injected-by: outrigger}',
        'defaultTemplates: [base]',
        'aliases: {both: [base, extra]}',
        'templates:',
        '  base: |',
        '    spec:',
        '      containers:',
        '      - name: istio-proxy',
        '        image: proxy:1',
        '  extra: |',
        '    spec:',
        '      containers:',
        '      - name: helper',
        '        image: helper:1',
        '',
      ].join('\n'),
    );
    const p = pod({ namespace: 'default' });
    const plain = injected(run(review(p), s), p) as { metadata: { annotations: Record<string, string> } };
    assert.deepEqual(containerNames(plain), ['ratings', 'istio-proxy']);
    assert.equal(plain.metadata.annotations['example.com/injected-by'], 'outrigger');
    const q = pod({ namespace: 'default', annotations: { 'inject.istio.io/templates': 'both' } });
    assert.deepEqual(containerNames(injected(run(review(q), s), q)).sort(), ['helper', 'istio-proxy', 'ratings']);
  });
});

describe('reviewAdmission: errors', () => {
  test('a non-Pod object is admitted unchanged, with a warning', () => {
    const r = run(review({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' } }, { kind: 'Deployment' }));
    assert.equal(r.response.response.allowed, true);
    assert.equal(r.response.response.patch, undefined);
    assert.match(r.response.response.warnings?.[0] ?? '', /only Pod CREATE is injected; Deployment CREATE admitted unchanged/);
    assert.deepEqual(r.outcome.result === 'skipped' && r.outcome.reason, 'not_pod_create');
  });

  test('a Pod UPDATE is admitted unchanged, with a warning', () => {
    const r = run(review(pod(), { operation: 'UPDATE' }));
    assert.equal(r.response.response.allowed, true);
    assert.match(r.response.response.warnings?.[0] ?? '', /Pod UPDATE admitted unchanged/);
  });

  const denied: [string, unknown, RegExp, ReturnType<typeof defaultSettings>?][] = [
    ['an object that is not a map', 'a pod', /request.object is not an object/],
    ['a spec that is not a map', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: [] }, /spec must be an object/],
    ['a bad traffic annotation', pod({ annotations: { 'traffic.sidecar.istio.io/includeInboundPorts': 'eighty' } }), /invalid value 'eighty' for annotation 'traffic.sidecar.istio.io\/includeInboundPorts'/],
    ['a bad proxy.istio.io/config', pod({ annotations: { 'proxy.istio.io/config': 'noSuchField: 1' } }), /unknown field "noSuchField"/],
    ['an unknown template', pod({ annotations: { 'inject.istio.io/templates': 'nope' } }), /requested template "nope" not found/],
    ['a template that fails', pod(), /failed to run injection template "sidecar".*no sidecar today/, withConfig(settings, 'templates:\n  sidecar: \'{{ fail "no sidecar today" }}\'\n')],
  ];
  for (const [name, object, message, s] of denied) {
    for (const version of ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const) {
      test(`${name}: allowed: false with the reason (${version.slice(-7)})`, () => {
        const r = run(review(object, { version, uid: 'u-err' }), s ?? settings);
        assert.equal(r.response.apiVersion, version);
        assert.equal(r.response.response.uid, 'u-err');
        assert.equal(r.response.response.allowed, false);
        assert.match(r.response.response.status?.message ?? '', message);
        assert.equal(r.response.response.patch, undefined);
        assert.equal(r.outcome.result, 'denied');
      });
    }
  }

  test('the pod is named in the message', () => {
    const r = run(review(pod({ annotations: { 'sidecar.istio.io/proxyCPU': 'lots' } }), { namespace: 'shop' }));
    assert.match(r.response.response.status?.message ?? '', /^sidecar injection failed for shop\/ratings: invalid value 'lots'/);
  });

  test('the review is not modified', () => {
    const body = review(pod());
    const copy = structuredClone(body);
    reviewAdmission(decodeAdmissionReview(JSON.stringify(body)), settings);
    assert.deepEqual(body, copy);
  });
});
