// The IPv6 sidecar path, Istio's dual-stack way: both "pods" captured with
// `outrigger iptables --ipv6=true` (REDIRECT); each proxy's virtual listeners
// are on 0.0.0.0 with the additional address "::". An app call to the peer's
// IPv6 address is captured by ip6tables onto the client proxy's 15001, handed
// to 0.0.0.0_9080 by its IPv6 original destination, sent to the server pod,
// captured there onto 15006, matched by the ::/0 chain and delivered to the app
// from ::6 (InboundPassthroughClusterIpv6). Both proxies run as uid 1337.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createTopology, e2eUnavailable, outrigger, PEER_V4, PEER_V6, POD_V4, POD_V6 } from './netns.js';
import type { Endpoint, Namespace, Topology } from './netns.js';
import type { Stage } from '../../src/stage/index.js';
import { distProblem, stageProxy, startStagedProxy, PROXY_UID } from './fixtures/proxy-stage.js';

const APP_UID = 1000;
const CLUSTER = 'outbound|9080||reviews.default.svc.cluster.local';

const ORIGINAL_DST = `
    listener_filters:
    - name: envoy.filters.listener.original_dst
      typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst }`;

function tcpProxy(cluster: string, match = ''): string {
  return `
    - ${match ? `filter_chain_match: ${match}\n      ` : ''}filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: "${cluster}", cluster: "${cluster}" }`;
}

/** Istio's dual-stack address: 0.0.0.0 plus "::" on the same port. */
function dualStack(port: number): string {
  return `
    address: { socket_address: { address: 0.0.0.0, port_value: ${port} } }
    additional_addresses: [ { address: { socket_address: { address: "::", port_value: ${port} } } } ]`;
}

function passthrough(name: string, source: string): string {
  return `
  - name: ${name}
    type: ORIGINAL_DST
    connect_timeout: 10s
    lb_policy: CLUSTER_PROVIDED
    upstream_bind_config: { source_address: { address: "${source}", port_value: 0 } }`;
}

/** As discovery generates it for a dual-stack proxy: per-family passthrough on virtualInbound. */
function bootstrap(podIps: string, reviewsEndpoint: string): string {
  return `
node: { id: "sidecar~${podIps}~pod.default~default.svc.cluster.local", cluster: pod.default }
admin: { address: { socket_address: { address: 127.0.0.1, port_value: 15000 } } }
static_resources:
  listeners:
  - name: virtualOutbound${dualStack(15001)}
    use_original_dst: true${ORIGINAL_DST}
    filter_chains:${tcpProxy('PassthroughCluster')}
  - name: virtualInbound${dualStack(15006)}${ORIGINAL_DST}
    filter_chains:${tcpProxy('InboundPassthroughClusterIpv4', '{ prefix_ranges: [ { address_prefix: 0.0.0.0, prefix_len: 0 } ] }')}${tcpProxy('InboundPassthroughClusterIpv6', '{ prefix_ranges: [ { address_prefix: "::", prefix_len: 0 } ] }')}
  - name: 0.0.0.0_9080${dualStack(9080)}
    bind_to_port: false
    traffic_direction: OUTBOUND
    filter_chains:${tcpProxy(CLUSTER)}
  clusters:
  - { name: PassthroughCluster, type: ORIGINAL_DST, connect_timeout: 10s, lb_policy: CLUSTER_PROVIDED }${passthrough('InboundPassthroughClusterIpv4', '127.0.0.6')}${passthrough('InboundPassthroughClusterIpv6', '::6')}
  - name: "${CLUSTER}"
    type: STATIC
    connect_timeout: 1s
    load_assignment:
      cluster_name: "${CLUSTER}"
      endpoints: [ { lb_endpoints: [ { endpoint: { address: { socket_address: { address: "${reviewsEndpoint}", port_value: 9080 } } } } ] } ]
`;
}

const skip = e2eUnavailable() ?? distProblem();

describe('IPv6: client sidecar → server sidecar, both behind dual-stack REDIRECT capture', { skip }, () => {
  let t: Topology;
  let staged: Stage;
  const proxies: ChildProcess[] = [];
  let reviews: Endpoint;
  before(async () => {
    staged = stageProxy();
    t = createTopology();
    for (const ns of [t.pod, t.peer]) {
      const applied = ns.run([process.execPath, outrigger, 'iptables', '-p', '15001', '-z', '15006', '-u', String(PROXY_UID), '-m', 'REDIRECT', '-i', '*', '-b', '*', '--ipv6=true']);
      assert.equal(applied.status, 0, applied.stderr);
    }
    proxies.push((await startStagedProxy(staged, t.pod, bootstrap(`${POD_V4},${POD_V6}`, PEER_V6), 'client.yaml')).child);
    proxies.push((await startStagedProxy(staged, t.peer, bootstrap(`${PEER_V4},${PEER_V6}`, PEER_V6), 'server.yaml')).child);
    reviews = await t.start(t.peer, ['listen', '::', '9080', '--name', 'reviews-v1'], { uid: APP_UID });
  });
  after(() => {
    for (const p of proxies) if (p.exitCode === null) p.kill('SIGKILL');
    t?.dispose();
    staged?.remove();
  });

  function admin(ns: Namespace, path: string): string {
    const r = ns.run(['curl', '-sS', `http://127.0.0.1:15000${path}`]);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  }
  const stats = (ns: Namespace, filter: string) => admin(ns, `/stats?filter=${encodeURIComponent(filter)}`);

  test('both proxies listen on 0.0.0.0 and [::]', () => {
    for (const ns of [t.pod, t.peer]) {
      assert.equal(admin(ns, '/listeners'), 'virtualOutbound::0.0.0.0:15001,[::]:15001\nvirtualInbound::0.0.0.0:15006,[::]:15006\n0.0.0.0_9080::0.0.0.0:9080,[::]:9080\n');
    }
  });

  test('a call to the peer\'s IPv6 address crosses both sidecars and reaches the app from ::6', async () => {
    const reply = t.oneShot(t.pod, ['connect', PEER_V6, '9080'], { uid: APP_UID });
    assert.equal(reply['reply'], 'reviews-v1', `${JSON.stringify(reply)}\nclient proxy:\n${stats(t.pod, 'cx_total')}\nserver proxy:\n${stats(t.peer, 'cx_total')}`);
    const accepted = await reviews.next('accepted');
    assert.match(String(accepted['remote']), /^::6\|/);
    assert.equal(accepted['local'], `${PEER_V6}|9080`);
    // Client side: captured by ip6tables on 15001 ([::]), handed to 0.0.0.0_9080 by the IPv6 original destination.
    assert.equal(stats(t.pod, '^(listener\\.0\\.0\\.0\\.0_(15001|9080)\\.downstream_cx_total|cluster\\.outbound\\|9080\\|\\|reviews\\.default\\.svc\\.cluster\\.local\\.upstream_cx_total)$'),
      `cluster.${CLUSTER}.upstream_cx_total: 1\nlistener.0.0.0.0_15001.downstream_cx_total: 0\nlistener.0.0.0.0_9080.downstream_cx_total: 1\n`);
    // Server side: captured by ip6tables on 15006 ([::]), the ::/0 chain, passed through from ::6.
    assert.equal(stats(t.peer, '^(listener\\.0\\.0\\.0\\.0_15006\\.downstream_cx_total|cluster\\.InboundPassthroughClusterIpv[46]\\.upstream_cx_total)$'),
      'cluster.InboundPassthroughClusterIpv4.upstream_cx_total: 0\ncluster.InboundPassthroughClusterIpv6.upstream_cx_total: 1\nlistener.0.0.0.0_15006.downstream_cx_total: 1\n');
  });

  test('the dual-stack client listeners still take IPv4: a call to the peer\'s IPv4 address takes the same chains', async () => {
    // 0.0.0.0_9080 sends to reviews' IPv6 endpoint whatever family it was called on.
    const reply = t.oneShot(t.pod, ['connect', PEER_V4, '9080'], { uid: APP_UID });
    assert.equal(reply['reply'], 'reviews-v1', JSON.stringify(reply));
    const accepted = await reviews.next('accepted');
    assert.match(String(accepted['remote']), /^::6\|/);
    assert.equal(stats(t.pod, '^listener\\.0\\.0\\.0\\.0_9080\\.downstream_cx_total$'), 'listener.0.0.0.0_9080.downstream_cx_total: 2\n');
  });
});
