// The nftables backend: the same policy, applied with nft -f in one transaction.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createTopology, e2eUnavailable, normaliseSave, PEER_V4, PEER_V6, POD_V4, POD_V6 } from './netns.js';
import type { Endpoint, Topology } from './netns.js';

const skip = e2eUnavailable() ?? (spawnSync('nft', ['--version']).status === 0 ? undefined : 'nft is not installed');
const APP_UID = 1000;
const PROXY_UID = 1337;

describe('outrigger iptables --native-nftables, REDIRECT', { skip }, () => {
  let t: Topology;
  let outbound: Endpoint;
  let inbound: Endpoint;
  let nftBefore = '';
  let iptablesBefore = '';
  const flags = ['iptables', '--native-nftables', '-i', '*', '-b', '*', '-d', '9090', '-o', '8081', '--ipv6=true'];
  before(async () => {
    t = createTopology();
    // A table of somebody else's that must survive cleanup.
    assert.equal(t.pod.run(['nft', 'add', 'table', 'inet', 'someone-else']).status, 0);
    nftBefore = t.pod.run(['nft', 'list', 'ruleset']).stdout;
    iptablesBefore = normaliseSave(t.pod.iptablesSave(4));
    const applied = t.outrigger(flags);
    assert.equal(applied.status, 0, applied.stderr);
    outbound = await t.start(t.pod, ['listen', '::', '15001', '--name', 'outbound-proxy'], { uid: PROXY_UID });
    inbound = await t.start(t.pod, ['listen', '::', '15006', '--name', 'inbound-proxy'], { uid: PROXY_UID });
    await t.start(t.pod, ['listen', '::', '9080', '--name', 'app-9080'], { uid: APP_UID });
    await t.start(t.pod, ['listen', '::', '9090', '--name', 'app-9090'], { uid: APP_UID });
    await t.start(t.peer, ['listen', '::', '8080', '--name', 'peer-8080']);
    await t.start(t.peer, ['listen', '::', '8081', '--name', 'peer-8081']);
  });
  after(() => t?.dispose());

  test('one inet table per hook family, and no iptables rules', () => {
    const tables = t.pod.run(['nft', 'list', 'tables']).stdout;
    assert.match(tables, /table inet istio-proxy-nat/);
    assert.equal(normaliseSave(t.pod.iptablesSave(4)), iptablesBefore);
  });

  test('outbound app traffic lands on 15001 with the original destination (IPv4 and IPv6)', async () => {
    assert.equal(t.oneShot(t.pod, ['connect', PEER_V4, '8080'], { uid: APP_UID })['reply'], 'outbound-proxy');
    assert.equal((await outbound.next('accepted'))['originalDst'], `${PEER_V4}|8080`);
    assert.equal(t.oneShot(t.pod, ['connect', PEER_V6, '8080'], { uid: APP_UID })['reply'], 'outbound-proxy');
    assert.equal((await outbound.next('accepted'))['originalDst'], `${PEER_V6}|8080`);
  });

  test('the proxy uid, excluded ports and localhost are not captured', () => {
    assert.equal(t.oneShot(t.pod, ['connect', PEER_V4, '8080'], { uid: PROXY_UID })['reply'], 'peer-8080');
    assert.equal(t.oneShot(t.pod, ['connect', PEER_V6, '8080'], { uid: PROXY_UID })['reply'], 'peer-8080');
    assert.equal(t.oneShot(t.pod, ['connect', PEER_V4, '8081'], { uid: APP_UID })['reply'], 'peer-8081');
    assert.equal(t.oneShot(t.pod, ['connect', '127.0.0.1', '9080'], { uid: APP_UID })['reply'], 'app-9080');
    assert.equal(t.oneShot(t.peer, ['connect', POD_V4, '9090'])['reply'], 'app-9090');
  });

  test('inbound traffic lands on 15006 with the original destination (IPv4 and IPv6)', async () => {
    assert.equal(t.oneShot(t.peer, ['connect', POD_V4, '9080'])['reply'], 'inbound-proxy');
    assert.equal((await inbound.next('accepted'))['originalDst'], `${POD_V4}|9080`);
    assert.equal(t.oneShot(t.peer, ['connect', POD_V6, '9080'])['reply'], 'inbound-proxy');
    assert.equal((await inbound.next('accepted'))['originalDst'], `${POD_V6}|9080`);
  });

  test('the proxy reaching the app from 127.0.0.6 passes through', () => {
    assert.equal(t.oneShot(t.pod, ['connect', POD_V4, '9080', '--bind', '127.0.0.6'], { uid: PROXY_UID })['reply'], 'app-9080');
  });

  test('running again rebuilds the same tables', () => {
    const ruleset = t.pod.run(['nft', 'list', 'ruleset']).stdout;
    const again = t.outrigger(flags);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(t.pod.run(['nft', 'list', 'ruleset']).stdout, ruleset);
  });

  test('--cleanup-only removes the tables and nothing else', () => {
    const cleaned = t.outrigger(['iptables', '--cleanup-only']);
    assert.equal(cleaned.status, 0, cleaned.stderr);
    assert.equal(t.pod.run(['nft', 'list', 'ruleset']).stdout, nftBefore);
    assert.equal(t.oneShot(t.pod, ['connect', PEER_V4, '8080'], { uid: APP_UID })['reply'], 'peer-8080');
  });
});

describe('outrigger iptables --native-nftables, TPROXY', { skip }, () => {
  let t: Topology;
  let inbound: Endpoint;
  before(async () => {
    t = createTopology();
    const applied = t.outrigger(['iptables', '--native-nftables', '-m', 'TPROXY', '-i', '*', '-b', '*', '--ipv6=true']);
    assert.equal(applied.status, 0, applied.stderr);
    inbound = await t.start(t.pod, ['listen', '::', '15006', '--transparent', '--name', 'inbound-proxy']);
    await t.start(t.pod, ['listen', '::', '9080', '--name', 'app-9080'], { uid: APP_UID });
  });
  after(() => t?.dispose());

  test('inbound connections arrive on 15006 addressed to the original destination, from the real client', async () => {
    assert.equal(t.oneShot(t.peer, ['connect', POD_V4, '9080'])['reply'], 'inbound-proxy');
    const v4 = await inbound.next('accepted');
    assert.equal(v4['local'], `${POD_V4}|9080`);
    assert.match(String(v4['remote']), /^10\.250\.0\.2\|/);
    assert.equal(t.oneShot(t.peer, ['connect', POD_V6, '9080'])['reply'], 'inbound-proxy');
    assert.equal((await inbound.next('accepted'))['local'], `${POD_V6}|9080`);
  });

  test('the app calling its own pod address is not diverted', () => {
    assert.equal(t.oneShot(t.pod, ['connect', POD_V4, '9080'], { uid: APP_UID })['reply'], 'app-9080');
  });

  test('--cleanup-only removes the tables and the policy routing', () => {
    const cleaned = t.outrigger(['iptables', '--cleanup-only']);
    assert.equal(cleaned.status, 0, cleaned.stderr);
    assert.doesNotMatch(t.pod.run(['nft', 'list', 'tables']).stdout, /istio-proxy/);
    assert.doesNotMatch(t.pod.run(['ip', 'rule', 'show']).stdout, /fwmark/);
    assert.equal(t.oneShot(t.peer, ['connect', POD_V4, '9080'])['reply'], 'app-9080');
  });
});
