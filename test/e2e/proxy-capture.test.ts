// The proxy behind real capture rules (IPv4 and IPv6): REDIRECT in a pod namespace sends an
// app's outbound connection to virtualOutbound (15001) and a peer's inbound
// connection to virtualInbound (15006); the proxy, running as uid 1337, reads
// the original destinations with SO_ORIGINAL_DST, forwards outbound through
// PassthroughCluster and delivers inbound to the app from 127.0.0.6.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createTopology, e2eUnavailable, PEER_V4, PEER_V6, POD_V4 } from './netns.js';
import type { Endpoint, Topology } from './netns.js';
import type { Stage } from '../../src/stage/index.js';
import { distProblem, stageProxy, startStagedProxy, PROXY_UID } from './fixtures/proxy-stage.js';

const APP_UID = 1000;

const BOOTSTRAP = `
node: { id: sidecar~${POD_V4}~app.default~default.svc.cluster.local, cluster: app.default }
admin: { address: { socket_address: { address: 127.0.0.1, port_value: 15000 } } }
static_resources:
  listeners:
  # "::" with ipv4_compat: one dual-stack socket takes both families' captured connections.
  - name: virtualOutbound
    address: { socket_address: { address: "::", port_value: 15001, ipv4_compat: true } }
    use_original_dst: true
    traffic_direction: OUTBOUND
    listener_filters:
    - name: envoy.filters.listener.original_dst
      typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst }
    filter_chains:
    - name: PassthroughFilterChain
      filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: PassthroughCluster, cluster: PassthroughCluster }
  - name: virtualInbound
    address: { socket_address: { address: 0.0.0.0, port_value: 15006 } }
    traffic_direction: INBOUND
    listener_filters:
    - name: envoy.filters.listener.original_dst
      typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst }
    filter_chains:
    - name: inbound-passthrough
      filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: InboundPassthroughClusterIpv4, cluster: InboundPassthroughClusterIpv4 }
  clusters:
  - { name: PassthroughCluster, type: ORIGINAL_DST, connect_timeout: 10s, lb_policy: CLUSTER_PROVIDED }
  - name: InboundPassthroughClusterIpv4
    type: ORIGINAL_DST
    connect_timeout: 10s
    lb_policy: CLUSTER_PROVIDED
    upstream_bind_config: { source_address: { address: 127.0.0.6, port_value: 0 } }
  - { name: BlackHoleCluster, type: STATIC, connect_timeout: 10s }
`;

const skip = e2eUnavailable() ?? distProblem();

describe('outrigger proxy behind outrigger iptables (REDIRECT, IPv4 and IPv6)', { skip }, () => {
  let t: Topology;
  let staged: Stage;
  let proxy: ChildProcess;
  let app: Endpoint;
  let proxyLog: { text: string };
  before(async () => {
    staged = stageProxy();
    t = createTopology();
    const applied = t.outrigger(['iptables', '-p', '15001', '-z', '15006', '-u', String(PROXY_UID), '-m', 'REDIRECT', '-i', '*', '-b', '*', '--ipv6=true']);
    assert.equal(applied.status, 0, applied.stderr);
    const started = await startStagedProxy(staged, t.pod, BOOTSTRAP, 'bootstrap.yaml');
    proxy = started.child;
    proxyLog = started.log;
    app = await t.start(t.pod, ['listen', '0.0.0.0', '9080', '--name', 'app-9080'], { uid: APP_UID });
    await t.start(t.peer, ['listen', '::', '8080', '--name', 'peer-8080']);
  });
  after(() => {
    if (proxy && proxy.exitCode === null) proxy.kill('SIGKILL');
    t?.dispose();
    staged?.remove();
  });

  function adminGet(pathAndQuery: string): string {
    // -g: the stat names' brackets are not curl globs.
    const r = t.pod.run(['curl', '-sSg', `http://127.0.0.1:15000${pathAndQuery}`]);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  }

  test('an app connection captured on 15001 reaches the peer through PassthroughCluster', () => {
    const reply = t.oneShot(t.pod, ['connect', PEER_V4, '8080'], { uid: APP_UID });
    assert.equal(reply['reply'], 'peer-8080');
    const stats = adminGet('/stats?filter=^(cluster\\.PassthroughCluster\\.upstream_cx_total|listener\\.\\[__\\]_15001\\.downstream_cx_total)$');
    assert.equal(stats, 'cluster.PassthroughCluster.upstream_cx_total: 1\nlistener.[__]_15001.downstream_cx_total: 1\n');
    assert.match(adminGet('/clusters'), new RegExp(`PassthroughCluster::${PEER_V4.replace(/\./g, '\\.')}:8080::cx_total::1`));
  });

  test('the same over IPv6: IP6T_SO_ORIGINAL_DST gives the destination, PassthroughCluster connects over IPv6', () => {
    const reply = t.oneShot(t.pod, ['connect', PEER_V6, '8080'], { uid: APP_UID });
    assert.equal(reply['reply'], 'peer-8080');
    assert.match(adminGet('/clusters'), new RegExp(`PassthroughCluster::\\[${PEER_V6.replace(/:/g, ':')}\\]:8080::cx_total::1`));
  });

  test('an inbound connection captured on 15006 is delivered to the app from 127.0.0.6', async () => {
    const reply = t.oneShot(t.peer, ['connect', POD_V4, '9080']);
    assert.equal(reply['reply'], 'app-9080');
    const accepted = await app.next('accepted');
    assert.match(String(accepted['remote']), /^127\.0\.0\.6\|/);
    assert.equal(accepted['local'], `${POD_V4}|9080`);
    assert.equal(adminGet('/stats?filter=^cluster\\.InboundPassthroughClusterIpv4\\.upstream_cx_total$'), 'cluster.InboundPassthroughClusterIpv4.upstream_cx_total: 1\n');
  });

  test('the proxy runs as uid 1337 and its own connections are not captured again', () => {
    const r = spawnSync('ps', ['-o', 'uid=', '-p', String(proxy.pid)], { encoding: 'utf8' });
    // ip netns exec + setpriv exec into node, so the spawned pid is the proxy itself.
    assert.equal(r.stdout.trim(), String(PROXY_UID));
    assert.equal(adminGet('/stats?filter=^listener\\.\\[__\\]_15001\\.downstream_cx_total$'), 'listener.[__]_15001.downstream_cx_total: 2\n');
  });

  test('SIGTERM drains and exits', async () => {
    const exited = new Promise<number | null>((resolve) => proxy.on('exit', resolve));
    proxy.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(proxyLog.text, /received SIGTERM/);
  });
});
