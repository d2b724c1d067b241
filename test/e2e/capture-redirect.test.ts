// Capture in REDIRECT mode with real iptables in network namespaces this test creates.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopology, e2eUnavailable, normaliseSave, PEER_V4, PEER_V6, POD_V4, POD_V6 } from './netns.js';
import type { Endpoint, Topology } from './netns.js';

const skip = e2eUnavailable();
const APP_UID = 1000;
const PROXY_UID = 1337;

describe('outrigger iptables, REDIRECT, IPv4 and IPv6', { skip }, () => {
  let t: Topology;
  let outbound: Endpoint;
  let inbound: Endpoint;
  let before4 = '';
  let before6 = '';
  before(async () => {
    t = createTopology();
    // A rule of somebody else's that must survive Outrigger's cleanup.
    assert.equal(t.pod.run(['iptables', '-t', 'nat', '-A', 'OUTPUT', '-p', 'tcp', '--dport', '7777', '-j', 'RETURN']).status, 0);
    before4 = normaliseSave(t.pod.iptablesSave(4));
    before6 = normaliseSave(t.pod.iptablesSave(6));
    const applied = t.outrigger([
      'iptables', '-p', '15001', '-z', '15006', '-u', String(PROXY_UID), '-m', 'REDIRECT',
      '-i', '*', '-x', '10.250.0.3/32', '-b', '*', '-d', '9090', '-o', '8081', '--ipv6=true',
    ]);
    assert.equal(applied.status, 0, applied.stderr);
    // The proxy: outbound on 15001 and inbound on 15006, running as uid 1337.
    outbound = await t.start(t.pod, ['listen', '::', '15001', '--name', 'outbound-proxy'], { uid: PROXY_UID });
    inbound = await t.start(t.pod, ['listen', '::', '15006', '--name', 'inbound-proxy'], { uid: PROXY_UID });
    // Real servers: the app in the pod (9080 captured, 9090 excluded) and services outside.
    await t.start(t.pod, ['listen', '::', '9080', '--name', 'app-9080'], { uid: APP_UID });
    await t.start(t.pod, ['listen', '::', '9090', '--name', 'app-9090'], { uid: APP_UID });
    await t.start(t.peer, ['listen', '::', '8080', '--name', 'peer-8080']);
    await t.start(t.peer, ['listen', '::', '8081', '--name', 'peer-8081']);
    await t.start(t.peer, ['listen', '::', '8082', '--name', 'peer-8082']);
  });
  after(() => t?.dispose());

  test('an app connection to an address outside the pod lands on 15001; the proxy reads the original destination (IPv4)', async () => {
    assert.equal(t.oneShot(t.pod, ['connect', PEER_V4, '8082'], { uid: APP_UID })['reply'], 'outbound-proxy');
    const accepted = await outbound.next('accepted');
    assert.equal(accepted['originalDst'], `${PEER_V4}|8082`);
    assert.match(String(accepted['local']), /\|15001$/);
  });

  test('IPv6 capture puts ::6 on lo, the source InboundPassthroughClusterIpv6 binds, as istio-iptables does', () => {
    const lo = t.pod.run(['ip', '-6', 'addr', 'show', 'dev', 'lo']);
    assert.match(lo.stdout, /inet6 ::6\/128 scope global/);
    // The proxy can bind it and reach the app from it, as it does from 127.0.0.6.
    const bound = t.pod.run([process.execPath, '-e', "const s = require('net').connect({ host: '::1', port: 9080, localAddress: '::6' }); s.on('connect', () => { console.log('bound'); s.destroy(); }); s.on('error', (e) => { console.log(e.code); });"], { uid: PROXY_UID });
    assert.equal(bound.stdout.trim(), 'bound', bound.stderr);
  });

  test('the same over IPv6, through IP6T_SO_ORIGINAL_DST', async () => {
    assert.equal(t.oneShot(t.pod, ['connect', PEER_V6, '8082'], { uid: APP_UID })['reply'], 'outbound-proxy');
    const accepted = await outbound.next('accepted');
    assert.equal(accepted['originalDst'], `${PEER_V6}|8082`);
  });

  test('traffic from the proxy uid is not captured (no loop)', () => {
    assert.equal(t.oneShot(t.pod, ['connect', PEER_V4, '8080'], { uid: PROXY_UID })['reply'], 'peer-8080');
    assert.equal(t.oneShot(t.pod, ['connect', PEER_V6, '8080'], { uid: PROXY_UID })['reply'], 'peer-8080');
  });

  test('an excluded outbound port is not captured', () => {
    assert.equal(t.oneShot(t.pod, ['connect', PEER_V4, '8081'], { uid: APP_UID })['reply'], 'peer-8081');
    assert.equal(t.oneShot(t.pod, ['connect', PEER_V6, '8081'], { uid: APP_UID })['reply'], 'peer-8081');
  });

  test('an excluded CIDR is not captured; its neighbour is', async () => {
    // 10.250.0.3 is excluded; add it to the peer so something answers there.
    assert.equal(t.peer.run(['ip', 'addr', 'add', '10.250.0.3/24', 'dev', t.peer.run(['ls', '/sys/class/net']).stdout.split('\n').find((d) => d.startsWith('o'))!]).status, 0);
    assert.equal(t.oneShot(t.pod, ['connect', '10.250.0.3', '8080'], { uid: APP_UID })['reply'], 'peer-8080');
    assert.equal(t.oneShot(t.pod, ['connect', PEER_V4, '8080'], { uid: APP_UID })['reply'], 'outbound-proxy');
    assert.equal((await outbound.next('accepted'))['originalDst'], `${PEER_V4}|8080`);
  });

  test('inbound connections to a captured port land on 15006 with the original destination (IPv4 and IPv6)', async () => {
    assert.equal(t.oneShot(t.peer, ['connect', POD_V4, '9080'])['reply'], 'inbound-proxy');
    assert.equal((await inbound.next('accepted'))['originalDst'], `${POD_V4}|9080`);
    assert.equal(t.oneShot(t.peer, ['connect', POD_V6, '9080'])['reply'], 'inbound-proxy');
    assert.equal((await inbound.next('accepted'))['originalDst'], `${POD_V6}|9080`);
  });

  test('an excluded inbound port, and ssh, reach the app directly', () => {
    assert.equal(t.oneShot(t.peer, ['connect', POD_V4, '9090'])['reply'], 'app-9090');
    assert.equal(t.oneShot(t.peer, ['connect', POD_V6, '9090'])['reply'], 'app-9090');
  });

  test('the app talking to itself over localhost is not captured', () => {
    assert.equal(t.oneShot(t.pod, ['connect', '127.0.0.1', '9080'], { uid: APP_UID })['reply'], 'app-9080');
    assert.equal(t.oneShot(t.pod, ['connect', '::1', '9080'], { uid: APP_UID })['reply'], 'app-9080');
  });

  test('the app calling its own pod address is not captured', () => {
    assert.equal(t.oneShot(t.pod, ['connect', POD_V4, '9080'], { uid: APP_UID })['reply'], 'app-9080');
  });

  test('the proxy calling the pod address goes to the inbound listener (app → VIP → proxy → proxy → app)', async () => {
    assert.equal(t.oneShot(t.pod, ['connect', POD_V4, '9080'], { uid: PROXY_UID })['reply'], 'inbound-proxy');
    assert.equal((await inbound.next('accepted'))['originalDst'], `${POD_V4}|9080`);
  });

  test('the proxy reaching the app from 127.0.0.6 passes through to the app', () => {
    assert.equal(t.oneShot(t.pod, ['connect', POD_V4, '9080', '--bind', '127.0.0.6'], { uid: PROXY_UID })['reply'], 'app-9080');
  });

  test('bad input exits non-zero and changes nothing', () => {
    const saved = normaliseSave(t.pod.iptablesSave(4));
    const bad = t.outrigger(['iptables', '-i', '*', '-b', '*', '-x', '10.0.0.0/99']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /invalid value "10\.0\.0\.0\/99" for --istio-service-exclude-cidr/);
    assert.equal(normaliseSave(t.pod.iptablesSave(4)), saved);
  });

  test('a second identical run changes nothing', () => {
    const saved = normaliseSave(t.pod.iptablesSave(4));
    const again = t.outrigger([
      'iptables', '-p', '15001', '-z', '15006', '-u', String(PROXY_UID), '-m', 'REDIRECT',
      '-i', '*', '-x', '10.250.0.3/32', '-b', '*', '-d', '9090', '-o', '8081', '--ipv6=true',
    ]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /IPv4: rules already in place/);
    assert.match(again.stderr, /IPv6: rules already in place/);
    assert.equal(normaliseSave(t.pod.iptablesSave(4)), saved);
  });

  test('a different configuration over existing rules is drift: an error that changes nothing', () => {
    const saved4 = normaliseSave(t.pod.iptablesSave(4));
    const saved6 = normaliseSave(t.pod.iptablesSave(6));
    const drift = t.outrigger(['iptables', '-i', '*', '-b', '9080', '--ipv6=true']);
    assert.equal(drift.status, 1);
    assert.match(drift.stderr, /differ from this configuration/);
    assert.match(drift.stderr, /--reconcile/);
    assert.equal(normaliseSave(t.pod.iptablesSave(4)), saved4);
    assert.equal(normaliseSave(t.pod.iptablesSave(6)), saved6);
  });

  test('--reconcile replaces drifted rules with the new configuration', () => {
    const reconciled = t.outrigger(['iptables', '-i', '*', '-b', '9080', '--ipv6=true', '--reconcile']);
    assert.equal(reconciled.status, 0, reconciled.stderr);
    // Only 9080 is captured now: 9090 was never captured, and ssh's RETURN rule is gone.
    const rules = t.pod.iptablesSave(4);
    assert.match(rules, /-A ISTIO_INBOUND -p tcp -m tcp --dport 9080 -j ISTIO_IN_REDIRECT/);
    assert.doesNotMatch(rules, /--dport 22 /);
    assert.match(rules, /-A OUTPUT -p tcp -m tcp --dport 7777 -j RETURN/);
    const again = t.outrigger(['iptables', '-i', '*', '-b', '9080', '--ipv6=true']);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /already in place/);
  });

  test('--cleanup-only restores the namespace to its rules before capture; the foreign rule survives', () => {
    const cleaned = t.outrigger(['iptables', '--cleanup-only']);
    assert.equal(cleaned.status, 0, cleaned.stderr);
    assert.equal(normaliseSave(t.pod.iptablesSave(4)), before4);
    assert.equal(normaliseSave(t.pod.iptablesSave(6)), before6);
    // Nothing is captured any more.
    assert.equal(t.oneShot(t.pod, ['connect', PEER_V4, '8080'], { uid: APP_UID })['reply'], 'peer-8080');
    const twice = t.outrigger(['iptables', '--cleanup-only']);
    assert.equal(twice.status, 0, twice.stderr);
    assert.match(twice.stderr, /no capture rules to remove/);
  });
});
