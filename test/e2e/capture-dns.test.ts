// DNS capture: queries to the configured servers go to the agent on 15053; the
// agent's own queries reach the real server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopology, e2eUnavailable, PEER_V4 } from './netns.js';
import type { Endpoint, Topology } from './netns.js';

const skip = e2eUnavailable();
const APP_UID = 1000;
const PROXY_UID = 1337;

describe('outrigger iptables --redirect-dns', { skip }, () => {
  let t: Topology;
  let agentUdp: Endpoint;
  before(async () => {
    t = createTopology();
    const applied = t.outrigger(['iptables', '-i', '*', '-b', '*', '--redirect-dns', '--dns-servers', PEER_V4, '--ipv6=false']);
    assert.equal(applied.status, 0, applied.stderr);
    // Like the agent's DNS proxy, bound to localhost: its replies then leave from
    // 127.0.0.1:15053, which conntrack maps back to the server the app asked.
    agentUdp = await t.start(t.pod, ['udp-listen', '127.0.0.1', '15053', '--name', 'agent-dns'], { uid: PROXY_UID });
    await t.start(t.pod, ['listen', '0.0.0.0', '15053', '--name', 'agent-dns-tcp'], { uid: PROXY_UID });
    await t.start(t.peer, ['udp-listen', '0.0.0.0', '53', '--name', 'upstream-dns']);
    await t.start(t.peer, ['listen', '0.0.0.0', '53', '--name', 'upstream-dns-tcp']);
    await t.start(t.peer, ['udp-listen', '0.0.0.0', '5353', '--name', 'other-udp']);
  });
  after(() => t?.dispose());

  test('an app query over UDP to the configured server is answered by the agent, seemingly from the server', async () => {
    const reply = t.oneShot(t.pod, ['udp-send', PEER_V4, '53'], { uid: APP_UID });
    assert.equal(reply['reply'], 'agent-dns');
    assert.equal(reply['from'], `${PEER_V4}|53`);
    await agentUdp.next('datagram');
  });

  test('the agent (uid 1337) reaches the real server', () => {
    assert.equal(t.oneShot(t.pod, ['udp-send', PEER_V4, '53'], { uid: PROXY_UID })['reply'], 'upstream-dns');
  });

  test('DNS over TCP is captured too', () => {
    assert.equal(t.oneShot(t.pod, ['connect', PEER_V4, '53'], { uid: APP_UID })['reply'], 'agent-dns-tcp');
  });

  test('other UDP traffic is untouched', () => {
    assert.equal(t.oneShot(t.pod, ['udp-send', PEER_V4, '5353'], { uid: APP_UID })['reply'], 'other-udp');
  });

  test('the conntrack zones are in the raw table', () => {
    const raw = t.pod.run(['iptables-save', '-t', 'raw']).stdout;
    assert.match(raw, /-A ISTIO_OUTPUT_DNS -p udp -m udp --dport 53 -m owner --uid-owner 1337 -j CT --zone 1/);
    assert.match(raw, /-A ISTIO_OUTPUT_DNS -d 10\.250\.0\.2\/32 -p udp -m udp --dport 53 -j CT --zone 2/);
  });
});
