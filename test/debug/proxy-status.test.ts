import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderProxyStatus, syncStatus } from '../../src/debug/index.js';

describe('proxy-status', () => {
  test('SYNCED, STALE, NOT SENT, IGNORED per type, as istioctl prints them', () => {
    const syncz = [
      { proxy: 'sidecar~10.4.1.5~reviews-v1-x.default~default.svc.cluster.local', watches: [
        { typeUrl: 'type.googleapis.com/envoy.config.cluster.v3.Cluster', sent: 'v2', acked: 'v2' },
        { typeUrl: 'type.googleapis.com/envoy.config.listener.v3.Listener', sent: 'v2', acked: 'v1', nack: { version: 'v2', message: 'bad listener' } },
        { typeUrl: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment', sent: 'v2', acked: 'v1' },
        { typeUrl: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration', sent: null, acked: null },
      ] },
      { proxy: 'sidecar~10.4.1.12~ratings-v1-y.default~default.svc.cluster.local', watches: [{ typeUrl: 'type.googleapis.com/envoy.config.cluster.v3.Cluster', sent: 'v2', acked: 'v2' }] },
    ];
    const lines = renderProxyStatus(syncz, 'discovery@127.0.0.1:15014').trimEnd().split('\n').map((l) => l.replace(/ +/g, ' '));
    assert.deepEqual(lines, [
      'NAME CLUSTER CDS LDS EDS RDS ISTIOD VERSION',
      'ratings-v1-y.default Kubernetes SYNCED IGNORED IGNORED IGNORED discovery@127.0.0.1:15014 v2',
      'reviews-v1-x.default Kubernetes SYNCED STALE (NACK: bad listener) STALE NOT SENT discovery@127.0.0.1:15014 v2',
    ]);
    assert.equal(syncStatus(undefined), 'IGNORED');
  });
});
