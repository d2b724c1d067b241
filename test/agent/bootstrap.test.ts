import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { discoveryAddress, IdentityError, sidecarIdentity } from '../../src/agent/identity.js';
import { sidecarBootstrap } from '../../src/agent/bootstrap.js';
import { parseNodeId } from '../../src/discovery/proxy.js';

const env = {
  POD_NAME: 'reviews-v1-545db77b95-jkgv2',
  POD_NAMESPACE: 'default',
  INSTANCE_IP: '10.4.1.5',
  SERVICE_ACCOUNT: 'bookinfo-reviews',
  ISTIO_META_WORKLOAD_NAME: 'reviews-v1',
  ISTIO_META_CLUSTER_ID: 'Kubernetes',
  ISTIO_META_INTERCEPTION_MODE: 'REDIRECT',
  ISTIO_META_POD_PORTS: '[{"containerPort":9080}]',
  PROXY_CONFIG: '{"discoveryAddress":"10.96.0.2:15010","proxyAdminPort":15000,"holdApplicationUntilProxyStarts":true}',
  UNRELATED: 'x',
};

describe('the sidecar identity', () => {
  test("from the injector's environment: node id, cluster, metadata, proxy config", () => {
    const id = sidecarIdentity(env, { domain: '$(POD_NAMESPACE).svc.cluster.local' });
    assert.equal(id.nodeId, 'sidecar~10.4.1.5~reviews-v1-545db77b95-jkgv2.default~default.svc.cluster.local');
    assert.equal(id.cluster, 'reviews-v1.default');
    assert.equal(id.metadata['CLUSTER_ID'], 'Kubernetes');
    assert.equal(id.metadata['NAMESPACE'], 'default');
    assert.equal(id.metadata['INSTANCE_IPS'], '10.4.1.5');
    assert.equal(id.metadata['UNRELATED'], undefined);
    assert.equal(id.proxyConfig['holdApplicationUntilProxyStarts'], true);
    assert.equal(id.proxyConfig['statusPort'], 15020, 'defaults fill what PROXY_CONFIG leaves out');
    // The control plane reads it back the same way.
    const proxy = parseNodeId(id.nodeId, id.metadata);
    assert.deepEqual([proxy.podName, proxy.namespace, proxy.ipAddresses], ['reviews-v1-545db77b95-jkgv2', 'default', ['10.4.1.5']]);
  });

  test('missing identity or a bad PROXY_CONFIG is a clear error', () => {
    assert.throws(() => sidecarIdentity({ ...env, INSTANCE_IP: '' }), (e: Error) => e instanceof IdentityError && /INSTANCE_IP is not set/.test(e.message));
    assert.throws(() => sidecarIdentity({ ...env, PROXY_CONFIG: '{"bogus": 1}' }), /PROXY_CONFIG: .*unknown field "bogus" in ProxyConfig/);
    assert.throws(() => discoveryAddress(sidecarIdentity({ ...env, PROXY_CONFIG: '{"discoveryAddress":"nohost"}' })), /invalid discovery address "nohost"/);
  });
});

describe('the bootstrap', () => {
  test('node, admin on loopback, ADS to the discovery address', () => {
    const bootstrap = sidecarBootstrap(sidecarIdentity(env)) as Record<string, any>;
    assert.equal(bootstrap['node']['id'], 'sidecar~10.4.1.5~reviews-v1-545db77b95-jkgv2.default~default.svc.cluster.local');
    assert.deepEqual(bootstrap['admin'], { address: { socket_address: { address: '127.0.0.1', port_value: 15000 } } });
    assert.equal(bootstrap['dynamic_resources']['ads_config']['grpc_services'][0]['envoy_grpc']['cluster_name'], 'xds-grpc');
    const xds = bootstrap['static_resources']['clusters'][0];
    assert.equal(xds['type'], 'STATIC');
    assert.deepEqual(xds['load_assignment']['endpoints'][0]['lb_endpoints'][0]['endpoint']['address']['socket_address'], { address: '10.96.0.2', port_value: 15010 });
    const named = sidecarBootstrap(sidecarIdentity(env), { discoveryAddress: 'istiod.istio-system.svc:15012' }) as Record<string, any>;
    assert.equal(named['static_resources']['clusters'][0]['type'], 'STRICT_DNS');
  });
});
