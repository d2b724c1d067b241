import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { injectRequired, selectorMatches } from '../../src/inject/policy.js';
import type { PolicyConfig } from '../../src/inject/policy.js';
import { AnnotationError, validateAnnotations } from '../../src/inject/annotations.js';

const enabled: PolicyConfig = { policy: 'enabled', neverInjectSelector: [], alwaysInjectSelector: [] };
const disabled: PolicyConfig = { ...enabled, policy: 'disabled' };
const pod = (labels: Record<string, string> = {}, annotations: Record<string, string> = {}, extra = {}) => ({ namespace: 'default', labels, annotations, ...extra });

describe('injectRequired', () => {
  const cases: [string, ReturnType<typeof pod>, PolicyConfig, boolean][] = [
    ['policy enabled, nothing said', pod(), enabled, true],
    ['policy disabled, nothing said', pod(), disabled, false],
    ['annotation false', pod({}, { 'sidecar.istio.io/inject': 'false' }), enabled, false],
    ['annotation "yes" under a disabled policy', pod({}, { 'sidecar.istio.io/inject': 'yes' }), disabled, true],
    ['label wins over annotation', pod({ 'sidecar.istio.io/inject': 'false' }, { 'sidecar.istio.io/inject': 'true' }), enabled, false],
    ['label "on"', pod({ 'sidecar.istio.io/inject': 'on' }), disabled, true],
    ['an unknown value means do not inject', pod({ 'sidecar.istio.io/inject': 'maybe' }), enabled, false],
    ['host network', pod({}, {}, { hostNetwork: true }), enabled, false],
    ['kube-system', { ...pod(), namespace: 'kube-system' }, enabled, false],
    ['neverInjectSelector', pod({ app: 'batch' }), { ...enabled, neverInjectSelector: [{ matchLabels: { app: 'batch' } }] }, false],
    ['alwaysInjectSelector under a disabled policy', pod({ tier: 'web' }), { ...disabled, alwaysInjectSelector: [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] }] }, true],
    ['the pod annotation beats the selectors', pod({ app: 'batch' }, { 'sidecar.istio.io/inject': 'true' }), { ...enabled, neverInjectSelector: [{ matchLabels: { app: 'batch' } }] }, true],
  ];
  for (const [name, p, config, expected] of cases) {
    test(name, () => assert.equal(injectRequired(p, config).inject, expected));
  }

  test('a refusal says why', () => {
    const decision = injectRequired(pod({}, {}, { hostNetwork: true }), enabled);
    assert.deepEqual(decision, { inject: false, reason: 'host networking is enabled' });
  });

  test('label selector operators', () => {
    const labels = { app: 'a', tier: 'web' };
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] }, labels), true);
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'x', operator: 'Exists' }] }, labels), false);
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }] }, labels), true);
    assert.equal(selectorMatches({}, labels), false, 'an empty selector selects nothing');
  });
});

describe('validateAnnotations', () => {
  const ok: Record<string, string>[] = [
    { 'traffic.sidecar.istio.io/includeOutboundIPRanges': '*' },
    { 'traffic.sidecar.istio.io/includeOutboundIPRanges': '10.0.0.0/8, 172.16.0.0/12,fd00::/8' },
    { 'traffic.sidecar.istio.io/excludeInboundPorts': '15020,8000:8100,9000-9010' },
    { 'traffic.sidecar.istio.io/includeInboundPorts': '' },
    { 'sidecar.istio.io/interceptionMode': 'tproxy' },
    { 'status.sidecar.istio.io/port': '0' },
    { 'sidecar.istio.io/proxyCPU': '250m', 'sidecar.istio.io/proxyMemory': '1Gi' },
    { 'proxy.istio.io/config': 'holdApplicationUntilProxyStarts: true' },
    { 'sidecar.istio.io/unknownThing': 'anything' },
  ];
  for (const annotations of ok) test(`accepts ${JSON.stringify(annotations)}`, () => validateAnnotations(annotations));

  const bad: [Record<string, string>, string][] = [
    [{ 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '10.0.0.0/33' }, `invalid value '10.0.0.0/33' for annotation 'traffic.sidecar.istio.io/excludeOutboundIPRanges': "10.0.0.0/33" has an invalid prefix length`],
    [{ 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '*' }, `invalid value '*' for annotation 'traffic.sidecar.istio.io/excludeOutboundIPRanges': "*" is not allowed in an exclusion list`],
    [{ 'traffic.sidecar.istio.io/includeInboundPorts': '80,http' }, `invalid value '80,http' for annotation 'traffic.sidecar.istio.io/includeInboundPorts': "http" is not a port number`],
    [{ 'traffic.sidecar.istio.io/excludeOutboundPorts': '70000' }, `invalid value '70000' for annotation 'traffic.sidecar.istio.io/excludeOutboundPorts': port 70000 is out of range`],
    [{ 'sidecar.istio.io/interceptionMode': 'MIRROR' }, `invalid value 'MIRROR' for annotation 'sidecar.istio.io/interceptionMode': must be REDIRECT, TPROXY or NONE`],
    [{ 'readiness.status.sidecar.istio.io/periodSeconds': '-1' }, `invalid value '-1' for annotation 'readiness.status.sidecar.istio.io/periodSeconds': must be a non-negative integer`],
    [{ 'sidecar.istio.io/proxyCPU': 'lots' }, `invalid value 'lots' for annotation 'sidecar.istio.io/proxyCPU'`],
    [{ 'proxy.istio.io/config': 'concurrenc: 2' }, `invalid value 'concurrenc: 2' for annotation 'proxy.istio.io/config': unknown field "concurrenc" in ProxyConfig`],
  ];
  for (const [annotations, message] of bad) {
    test(`refuses ${JSON.stringify(annotations)}`, () => {
      assert.throws(() => validateAnnotations(annotations), (e: Error) => e instanceof AnnotationError && e.message.startsWith(message));
    });
  }
});
