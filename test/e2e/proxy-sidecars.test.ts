// Two sidecars, the path Istio users draw: a client in one "pod" calls a
// service address; capture sends it to that pod's proxy on 15001, whose
// 0.0.0.0_9080 listener (reached by use_original_dst hand-off) forwards it to
// the server pod; there capture sends it to the server's proxy on 15006, which
// delivers it to the app from 127.0.0.6. Both proxies run as uid 1337.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createTopology, e2eUnavailable, outrigger, PEER_V4, POD_V4 } from './netns.js';
import type { Endpoint, Namespace, Topology } from './netns.js';
import type { Stage } from '../../src/stage/index.js';
import { distProblem, stageProxy, startStagedProxy, PROXY_UID } from './fixtures/proxy-stage.js';

const APP_UID = 1000;
const SERVICE_VIP = '10.96.0.10';
const CLUSTER = 'outbound|9080||reviews.default.svc.cluster.local';

const ORIGINAL_DST = `
    listener_filters:
    - name: envoy.filters.listener.original_dst
      typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst }`;

function tcpProxy(cluster: string): string {
  return `
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: "${cluster}", cluster: "${cluster}" }`;
}

/** Istio's shape: the two virtual listeners, one outbound service listener, passthrough clusters. */
function bootstrap(podIp: string, reviewsEndpoint: string): string {
  return `
node: { id: sidecar~${podIp}~pod.default~default.svc.cluster.local, cluster: pod.default }
admin: { address: { socket_address: { address: 127.0.0.1, port_value: 15000 } } }
static_resources:
  listeners:
  - name: virtualOutbound
    address: { socket_address: { address: 0.0.0.0, port_value: 15001 } }
    use_original_dst: true${ORIGINAL_DST}
    filter_chains:${tcpProxy('PassthroughCluster')}
  # As in Istio, virtualInbound restores the original destination but does not hand off by it:
  # 0.0.0.0_9080 is this pod's *outbound* listener for port 9080, not the way to its own app.
  - name: virtualInbound
    address: { socket_address: { address: 0.0.0.0, port_value: 15006 } }${ORIGINAL_DST}
    filter_chains:${tcpProxy('InboundPassthroughClusterIpv4')}
  - name: 0.0.0.0_9080
    address: { socket_address: { address: 0.0.0.0, port_value: 9080 } }
    bind_to_port: false
    traffic_direction: OUTBOUND
    filter_chains:${tcpProxy(CLUSTER)}
  clusters:
  - { name: PassthroughCluster, type: ORIGINAL_DST, connect_timeout: 10s, lb_policy: CLUSTER_PROVIDED }
  - name: InboundPassthroughClusterIpv4
    type: ORIGINAL_DST
    connect_timeout: 10s
    lb_policy: CLUSTER_PROVIDED
    upstream_bind_config: { source_address: { address: 127.0.0.6, port_value: 0 } }
  - name: "${CLUSTER}"
    type: STATIC
    connect_timeout: 1s
    load_assignment:
      cluster_name: "${CLUSTER}"
      endpoints: [ { lb_endpoints: [ { endpoint: { address: { socket_address: { address: ${reviewsEndpoint}, port_value: 9080 } } } } ] } ]
`;
}

const skip = e2eUnavailable() ?? distProblem();

describe('client sidecar → server sidecar, both behind REDIRECT capture', { skip }, () => {
  let t: Topology;
  let staged: Stage;
  const proxies: ChildProcess[] = [];
  let reviews: Endpoint;
  before(async () => {
    staged = stageProxy();
    t = createTopology();
    for (const ns of [t.pod, t.peer]) {
      const applied = ns.run([process.execPath, outrigger, 'iptables', '-p', '15001', '-z', '15006', '-u', String(PROXY_UID), '-m', 'REDIRECT', '-i', '*', '-b', '*']);
      assert.equal(applied.status, 0, applied.stderr);
    }
    // The service VIP is routed like any off-pod address (kube-proxy would own it); capture takes it first.
    assert.equal(t.pod.run(['ip', 'route', 'add', 'default', 'via', PEER_V4]).status, 0);
    proxies.push((await startStagedProxy(staged, t.pod, bootstrap(POD_V4, PEER_V4), 'client.yaml')).child);
    proxies.push((await startStagedProxy(staged, t.peer, bootstrap(PEER_V4, PEER_V4), 'server.yaml')).child);
    reviews = await t.start(t.peer, ['listen', '0.0.0.0', '9080', '--name', 'reviews-v1'], { uid: APP_UID });
  });
  after(() => {
    for (const p of proxies) if (p.exitCode === null) p.kill('SIGKILL');
    t?.dispose();
    staged?.remove();
  });

  function stats(ns: Namespace, filter: string): string {
    const r = ns.run(['curl', '-sS', `http://127.0.0.1:15000/stats?filter=${encodeURIComponent(filter)}`]);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  }

  test('a call to the service address crosses both sidecars and reaches the app from 127.0.0.6', async () => {
    const reply = t.oneShot(t.pod, ['connect', SERVICE_VIP, '9080'], { uid: APP_UID });
    assert.equal(reply['reply'], 'reviews-v1', `${JSON.stringify(reply)}\nclient proxy:\n${stats(t.pod, 'cx_total')}\nserver proxy:\n${stats(t.peer, 'cx_total')}`);
    const accepted = await reviews.next('accepted');
    assert.match(String(accepted['remote']), /^127\.0\.0\.6\|/);
    assert.equal(accepted['local'], `${PEER_V4}|9080`);
    // Client side: captured on 15001, handed to 0.0.0.0_9080, sent to the service's cluster.
    assert.equal(stats(t.pod, '^(listener\\.0\\.0\\.0\\.0_9080\\.downstream_cx_total|cluster\\.outbound\\|9080\\|\\|reviews\\.default\\.svc\\.cluster\\.local\\.upstream_cx_total)$'),
      `cluster.${CLUSTER}.upstream_cx_total: 1\nlistener.0.0.0.0_9080.downstream_cx_total: 1\n`);
    // Server side: captured on 15006 and passed through to the app.
    assert.equal(stats(t.peer, '^(listener\\.0\\.0\\.0\\.0_15006\\.downstream_cx_total|cluster\\.InboundPassthroughClusterIpv4\\.upstream_cx_total)$'),
      'cluster.InboundPassthroughClusterIpv4.upstream_cx_total: 1\nlistener.0.0.0.0_15006.downstream_cx_total: 1\n');
  });
});
