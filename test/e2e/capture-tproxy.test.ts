// Capture in TPROXY mode: inbound connections keep their source address and
// arrive on 15006 addressed to the original destination.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopology, e2eUnavailable, normaliseSave, PEER_V4, PEER_V6, POD_V4, POD_V6 } from './netns.js';
import type { Endpoint, Topology } from './netns.js';

const skip = e2eUnavailable();
const APP_UID = 1000;
const PROXY_UID = 1337;

describe('outrigger iptables, TPROXY', { skip }, () => {
  let t: Topology;
  let inbound: Endpoint;
  let outbound: Endpoint;
  let before4 = '';
  let rulesBefore = '';
  before(async () => {
    t = createTopology();
    before4 = normaliseSave(t.pod.iptablesSave(4));
    rulesBefore = t.pod.run(['ip', 'rule', 'show']).stdout;
    const applied = t.outrigger(['iptables', '-m', 'TPROXY', '-i', '*', '-b', '*', '-d', '9090', '--ipv6=true']);
    assert.equal(applied.status, 0, applied.stderr);
    // The inbound listener needs IP_TRANSPARENT, hence CAP_NET_ADMIN: it runs as root here,
    // as Istio's proxy gets NET_ADMIN in TPROXY mode.
    inbound = await t.start(t.pod, ['listen', '::', '15006', '--transparent', '--name', 'inbound-proxy']);
    outbound = await t.start(t.pod, ['listen', '::', '15001', '--name', 'outbound-proxy'], { uid: PROXY_UID });
    await t.start(t.pod, ['listen', '::', '9080', '--name', 'app-9080'], { uid: APP_UID });
    await t.start(t.pod, ['listen', '::', '9090', '--name', 'app-9090'], { uid: APP_UID });
    await t.start(t.peer, ['listen', '::', '8080', '--name', 'peer-8080']);
  });
  after(() => t?.dispose());

  test('the TPROXY policy routing is installed: fwmark 1337 → table 133 → local via lo', () => {
    assert.match(t.pod.run(['ip', '-4', 'rule', 'show']).stdout, /fwmark 0x539 lookup 133/);
    assert.match(t.pod.run(['ip', '-4', 'route', 'show', 'table', '133']).stdout, /local default dev lo/);
    assert.match(t.pod.run(['ip', '-6', 'rule', 'show']).stdout, /fwmark 0x539 lookup 133/);
  });

  test('an inbound connection arrives on 15006 addressed to the original destination, from the real client address (IPv4)', async () => {
    assert.equal(t.oneShot(t.peer, ['connect', POD_V4, '9080'])['reply'], 'inbound-proxy');
    const accepted = await inbound.next('accepted');
    assert.equal(accepted['local'], `${POD_V4}|9080`);
    assert.match(String(accepted['remote']), new RegExp(`^${PEER_V4.replace(/\./g, '\\.')}\\|`));
  });

  test('the same over IPv6', async () => {
    assert.equal(t.oneShot(t.peer, ['connect', POD_V6, '9080'])['reply'], 'inbound-proxy');
    const accepted = await inbound.next('accepted');
    assert.equal(accepted['local'], `${POD_V6}|9080`);
    assert.match(String(accepted['remote']), new RegExp(`^${PEER_V6}\\|`));
  });

  test('an excluded inbound port is not diverted', () => {
    assert.equal(t.oneShot(t.peer, ['connect', POD_V4, '9090'])['reply'], 'app-9090');
  });

  test('outbound capture still redirects to 15001', async () => {
    assert.equal(t.oneShot(t.pod, ['connect', PEER_V4, '8080'], { uid: APP_UID })['reply'], 'outbound-proxy');
    assert.equal((await outbound.next('accepted'))['originalDst'], `${PEER_V4}|8080`);
    assert.equal(t.oneShot(t.pod, ['connect', PEER_V4, '8080'], { uid: PROXY_UID })['reply'], 'peer-8080');
  });

  test('the app calling its own pod address is not diverted', () => {
    assert.equal(t.oneShot(t.pod, ['connect', POD_V4, '9080'], { uid: APP_UID })['reply'], 'app-9080');
  });

  test('--cleanup-only removes the rules, the mangle chains and the policy routing', () => {
    const cleaned = t.outrigger(['iptables', '--cleanup-only']);
    assert.equal(cleaned.status, 0, cleaned.stderr);
    assert.equal(normaliseSave(t.pod.iptablesSave(4)), before4);
    assert.equal(t.pod.run(['ip', 'rule', 'show']).stdout, rulesBefore);
    assert.doesNotMatch(t.pod.run(['ip', '-6', 'rule', 'show']).stdout, /fwmark/);
    assert.equal(t.pod.run(['ip', '-4', 'route', 'show', 'table', '133']).stdout.trim(), '');
    assert.equal(t.oneShot(t.peer, ['connect', POD_V4, '9080'])['reply'], 'app-9080');
  });
});
