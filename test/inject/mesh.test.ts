import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyMeshConfig, applyProxyConfig, defaultMeshConfig, MeshConfigError } from '../../src/inject/mesh.js';
import { applyValues, defaultValues, valueAt } from '../../src/inject/values.js';

describe('mesh config', () => {
  test("Istio's defaults", () => {
    const mesh = defaultMeshConfig();
    assert.equal(mesh['trustDomain'], 'cluster.local');
    assert.equal(mesh['enablePrometheusMerge'], true);
    assert.equal(mesh['proxyListenPort'], 15001);
    assert.deepEqual(mesh['outboundTrafficPolicy'], { mode: 'ALLOW_ANY' });
    const proxy = mesh['defaultConfig'] as Record<string, unknown>;
    assert.equal(proxy['proxyAdminPort'], 15000);
    assert.equal(proxy['statusPort'], 15020);
    assert.equal(proxy['discoveryAddress'], 'istiod.istio-system.svc:15012');
  });

  test('a mesh file merges onto the defaults: messages field by field, lists replaced', () => {
    const mesh = applyMeshConfig('defaultConfig:\n  holdApplicationUntilProxyStarts: true\n  proxyMetadata:\n    ISTIO_META_DNS_CAPTURE: "true"\ntrustDomain: example.org\ndefaultServiceExportTo: [".", "istio-system"]\n');
    const proxy = mesh['defaultConfig'] as Record<string, unknown>;
    assert.equal(proxy['holdApplicationUntilProxyStarts'], true);
    assert.equal(proxy['statusPort'], 15020, 'untouched fields keep their defaults');
    assert.deepEqual(proxy['proxyMetadata'], { ISTIO_META_DNS_CAPTURE: 'true' });
    assert.equal(mesh['trustDomain'], 'example.org');
    assert.deepEqual(mesh['defaultServiceExportTo'], ['.', 'istio-system']);
    assert.deepEqual(applyMeshConfig(''), defaultMeshConfig());
  });

  test('a broken mesh file is a clear error', () => {
    assert.throws(() => applyMeshConfig('defaultConfig: [1'), (e: Error) => e instanceof MeshConfigError && /^mesh config: /.test(e.message));
    assert.throws(() => applyMeshConfig('- a\n- b\n'), /mesh config: expected a map, got a list/);
    assert.throws(() => applyMeshConfig('defaultConfig:\n  bogus: 1\n'), /mesh config defaultConfig: unknown field "bogus" in ProxyConfig/);
  });

  test("proxy.istio.io/config merges onto the mesh's defaultConfig; maps merge", () => {
    const mesh = applyMeshConfig('defaultConfig:\n  proxyMetadata:\n    A: "1"\n');
    const proxy = applyProxyConfig('{"holdApplicationUntilProxyStarts": true, "proxyMetadata": {"B": "2"}, "concurrency": 4}', mesh);
    assert.equal(proxy['holdApplicationUntilProxyStarts'], true);
    assert.deepEqual(proxy['proxyMetadata'], { A: '1', B: '2' });
    assert.equal(proxy['concurrency'], 4);
    assert.equal(proxy['proxyAdminPort'], 15000);
  });

  test('a bad annotation names the field', () => {
    assert.throws(() => applyProxyConfig('interceptionMode: MIRROR', defaultMeshConfig()), /invalid value "MIRROR" for interceptionMode \(one of REDIRECT, TPROXY, NONE\)/);
    assert.throws(() => applyProxyConfig('holdApplication: true', defaultMeshConfig()), /unknown field "holdApplication" in ProxyConfig/);
  });
});

describe('values', () => {
  test('defaults, a values file merged on top, dotted lookup', () => {
    assert.equal(valueAt(defaultValues(), 'global.proxy.statusPort'), 15020);
    const values = applyValues('global:\n  proxy:\n    includeIPRanges: 10.0.0.0/8\n  hub: example.io/mesh\n');
    assert.equal(valueAt(values, 'global.proxy.includeIPRanges'), '10.0.0.0/8');
    assert.equal(valueAt(values, 'global.proxy.excludeIPRanges'), '');
    assert.equal(valueAt(values, 'global.hub'), 'example.io/mesh');
    assert.equal(valueAt(values, 'global.nothing.here'), undefined);
  });

  test('JSON values (the ConfigMap form) work too; garbage is an error', () => {
    assert.equal(valueAt(applyValues('{"global":{"proxy":{"privileged":true}}}'), 'global.proxy.privileged'), true);
    assert.throws(() => applyValues('[1,2]'), /values: expected a map/);
  });
});
