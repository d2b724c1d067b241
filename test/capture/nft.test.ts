import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRuleSet, renderNft, renderNftCleanup, resolveCaptureConfig, translateRule } from '../../src/capture/index.js';
import { mergeFamilies } from '../../src/capture/nft.js';

const nft = (flags: Record<string, string | boolean>, ipv6 = false) =>
  renderNft(buildRuleSet(resolveCaptureConfig({ 'istio-service-cidr': '*', 'istio-inbound-ports': '*', ipv6: String(ipv6), ...flags }, {}, {})), ipv6);

describe('translateRule', () => {
  const cases: [string, string][] = [
    ['-p tcp --dport 15008 -j RETURN', 'tcp dport 15008 return'],
    ['-p tcp -j REDIRECT --to-ports 15001', 'meta l4proto tcp redirect to :15001'],
    ['-o lo -s 127.0.0.6/32 -j RETURN', 'oifname "lo" ip saddr 127.0.0.6/32 return'],
    ['-o lo ! -d ::1/128 -m owner --uid-owner 1337 -j ISTIO_IN_REDIRECT', 'oifname "lo" ip6 daddr != ::1/128 meta skuid 1337 jump istio-in-redirect'],
    ['-o lo -m owner ! --gid-owner 1337 -j RETURN', 'oifname "lo" meta skgid != 1337 return'],
    ['-p tcp ! --dport 53 -j RETURN', 'tcp dport != 53 return'],
    ['-p tcp --dport 8000:8010 -j ISTIO_IN_REDIRECT', 'tcp dport 8000-8010 jump istio-in-redirect'],
    ['-p tcp -m conntrack --ctstate RELATED,ESTABLISHED -j ISTIO_DIVERT', 'meta l4proto tcp ct state { related, established } jump istio-divert'],
    ['-m conntrack --ctstate INVALID -j DROP', 'ct state invalid drop'],
    ['-p tcp -m mark --mark 1337 -j CONNMARK --save-mark', 'meta l4proto tcp meta mark 1337 ct mark set meta mark'],
    ['-p tcp -m connmark --mark 1337 -j CONNMARK --restore-mark', 'meta l4proto tcp ct mark 1337 meta mark set ct mark'],
    ['-p tcp -i lo -m mark ! --mark 1338 -j RETURN', 'meta l4proto tcp iifname "lo" meta mark != 1338 return'],
    ['-j MARK --set-mark 1337', 'meta mark set 1337'],
    ['-j ACCEPT', 'accept'],
    ['! -d 127.0.0.1/32 -p tcp -j TPROXY --tproxy-mark 1337/0xffffffff --on-port 15006', 'meta l4proto tcp ip daddr != 127.0.0.1/32 meta mark set 1337 tproxy ip to :15006 accept'],
    ['-p udp --sport 15053 -m owner --uid-owner 1337 -j CT --zone 2', 'udp sport 15053 meta skuid 1337 ct zone set 2'],
    ['-i net1 -d 10.0.0.0/8 -j ISTIO_REDIRECT', 'iifname "net1" ip daddr 10.0.0.0/8 jump istio-redirect'],
  ];
  for (const [iptables, expected] of cases) test(iptables, () => assert.equal(translateRule(iptables.split(' '), iptables.includes('::') ? 6 : 4), expected));

  test('an option without a translation is an error, never dropped', () => {
    assert.throws(() => translateRule(['-m', 'statistic', '--probability', '0.5', '-j', 'RETURN'], 4), /no nftables translation for "--probability"/);
    assert.throws(() => translateRule(['-j', 'LOG'], 4), /no nftables translation for target "LOG"/);
  });
});

describe('mergeFamilies', () => {
  test('shared rules appear once; family-only rules keep their place, guarded when needed', () => {
    assert.deepEqual(mergeFamilies(['a', 'ip daddr 1.2.3.4 x', 'b'], ['a', 'ip6 daddr ::1 x', 'b']), ['a', 'ip daddr 1.2.3.4 x', 'ip6 daddr ::1 x', 'b']);
    assert.deepEqual(mergeFamilies(['a', 'jump istio-redirect'], ['a']), ['a', 'meta nfproto ipv4 jump istio-redirect']);
    assert.deepEqual(mergeFamilies([], ['return']), ['meta nfproto ipv6 return']);
  });
});

describe('renderNft', () => {
  test('one inet table per hook family, flushed and rebuilt in one script', () => {
    const script = nft({});
    assert.match(script, /^add table inet istio-proxy-mangle\ndelete table inet istio-proxy-mangle\nadd table inet istio-proxy-nat\ndelete table inet istio-proxy-nat\ntable inet istio-proxy-nat \{/);
    assert.match(script, /chain prerouting \{\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n\t\tmeta nfproto ipv4 meta l4proto tcp jump istio-inbound\n/);
    assert.match(script, /chain output \{\n\t\ttype nat hook output priority -100; policy accept;/);
    assert.match(script, /add table inet istio-proxy-raw\ndelete table inet istio-proxy-raw\n$/);
  });

  test('with IPv6 on, rules shared by both families are written once, unguarded', () => {
    const script = nft({}, true);
    assert.match(script, /\t\tmeta l4proto tcp jump istio-inbound\n/);
    assert.match(script, /\t\toifname "lo" ip saddr 127\.0\.0\.6\/32 return\n/);
    assert.match(script, /\t\toifname "lo" ip6 saddr ::6\/128 return\n/);
    assert.match(script, /\t\tjump istio-redirect\n/);
  });

  test('TPROXY uses a route-type mangle output chain and the tproxy statement', () => {
    const script = nft({ 'istio-inbound-interception-mode': 'TPROXY' });
    assert.match(script, /type route hook output priority mangle; policy accept;/);
    assert.match(script, /tproxy ip to :15006 accept/);
    assert.match(script, /type filter hook prerouting priority mangle; policy accept;/);
  });

  test('DNS capture fills the raw table with conntrack zones', () => {
    const script = nft({ 'redirect-dns': true, 'capture-all-dns': true });
    assert.match(script, /table inet istio-proxy-raw \{[\s\S]*type filter hook output priority raw;[\s\S]*udp dport 53 meta skuid 1337 ct zone set 1/);
  });

  test('cleanup removes exactly our three tables', () => {
    assert.equal(renderNftCleanup(), ['mangle', 'nat', 'raw'].flatMap((t) => [`add table inet istio-proxy-${t}`, `delete table inet istio-proxy-${t}`]).join('\n') + '\n');
  });
});

describe('renderNft edge cases', () => {
  test('a chain that is only jumped to is declared, empty', () => {
    // DNS capture with only an IPv6 server and IPv6 off: raw istio-inbound gets no IPv4 rule.
    const script = nft({ 'redirect-dns': true, 'dns-servers': 'fd00::a' });
    assert.match(script, /jump istio-inbound/);
    assert.match(script, /\tchain istio-inbound \{\n\t\}/);
  });
});
