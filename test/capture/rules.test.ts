import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRuleSet, finalChains, renderRestore, resolveCaptureConfig } from '../../src/capture/index.js';
import type { Rule } from '../../src/capture/index.js';

const base = { 'istio-service-cidr': '*', 'istio-inbound-ports': '*' };
type Flags = Record<string, string | boolean>;
const rules = (flags: Flags, env: Record<string, string> = {}) => buildRuleSet(resolveCaptureConfig({ ...base, ...flags }, env, { firstAddressIsIpv6: false }));
const lines = (list: Rule[]) => renderRestore(list).trim().split('\n');
const v4 = (flags: Flags = {}, env: Record<string, string> = {}) => lines(rules(flags, env).v4);
const v6 = (flags: Flags = {}, env: Record<string, string> = {}) => lines(rules({ ipv6: 'true', ...flags }, env).v6);
/** The lines of one table section. */
const table = (text: string[], name: string) => {
  const start = text.indexOf(`* ${name}`);
  if (start < 0) return [];
  return text.slice(start + 1, text.indexOf('COMMIT', start));
};
const chain = (text: string[], tableName: string, chainName: string) =>
  table(text, tableName).filter((l) => l.startsWith(`-A ${chainName} `) || l.startsWith(`-I ${chainName} `));

describe('ports and uids', () => {
  test('-p, -z and -e set the outbound, inbound and tunnel ports', () => {
    const text = v4({ 'envoy-port': '16001', 'inbound-capture-port': '16006', 'inbound-tunnel-port': '16008' });
    assert.ok(text.includes('-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 16001'));
    assert.ok(text.includes('-A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 16006'));
    assert.ok(text.includes('-A ISTIO_INBOUND -p tcp --dport 16008 -j RETURN'));
  });

  test('several proxy uids each get the three owner rules, then the gids', () => {
    const out = chain(v4({ 'proxy-uid': '1337,1338', 'proxy-gid': '2000' }), 'nat', 'ISTIO_OUTPUT').filter((l) => l.includes('owner'));
    assert.deepEqual(out, [
      '-A ISTIO_OUTPUT -o lo ! -d 127.0.0.1/32 -m owner --uid-owner 1337 -j ISTIO_IN_REDIRECT',
      '-A ISTIO_OUTPUT -o lo -m owner ! --uid-owner 1337 -j RETURN',
      '-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN',
      '-A ISTIO_OUTPUT -o lo ! -d 127.0.0.1/32 -m owner --uid-owner 1338 -j ISTIO_IN_REDIRECT',
      '-A ISTIO_OUTPUT -o lo -m owner ! --uid-owner 1338 -j RETURN',
      '-A ISTIO_OUTPUT -m owner --uid-owner 1338 -j RETURN',
      '-A ISTIO_OUTPUT -o lo ! -d 127.0.0.1/32 -m owner --gid-owner 2000 -j ISTIO_IN_REDIRECT',
      '-A ISTIO_OUTPUT -o lo -m owner ! --gid-owner 2000 -j RETURN',
      '-A ISTIO_OUTPUT -m owner --gid-owner 2000 -j RETURN',
    ]);
  });

  test('ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR widens the localhost rules', () => {
    const text = v4({}, { ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR: '127.0.0.0/8' });
    assert.ok(text.includes('-A ISTIO_OUTPUT -o lo ! -d 127.0.0.0/8 -m owner --uid-owner 1337 -j ISTIO_IN_REDIRECT'));
    assert.ok(text.includes('-A ISTIO_OUTPUT -d 127.0.0.0/8 -j RETURN'));
  });
});

describe('inbound (-b, -d)', () => {
  test('no inbound ports: no PREROUTING jump, but the chain keeps the tunnel rule', () => {
    const text = v4({ 'istio-inbound-ports': '' });
    assert.ok(!text.some((l) => l.startsWith('-A PREROUTING')));
    assert.deepEqual(chain(text, 'nat', 'ISTIO_INBOUND'), ['-A ISTIO_INBOUND -p tcp --dport 15008 -j RETURN']);
  });

  test('"*" captures everything but the tunnel port, ssh and the excluded ports, in that order', () => {
    assert.deepEqual(chain(v4({ 'istio-local-exclude-ports': '15090,15021,15020' }), 'nat', 'ISTIO_INBOUND'), [
      '-A ISTIO_INBOUND -p tcp --dport 15008 -j RETURN',
      '-A ISTIO_INBOUND -p tcp --dport 22 -j RETURN',
      '-A ISTIO_INBOUND -p tcp --dport 15090 -j RETURN',
      '-A ISTIO_INBOUND -p tcp --dport 15021 -j RETURN',
      '-A ISTIO_INBOUND -p tcp --dport 15020 -j RETURN',
      '-A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT',
    ]);
  });

  test('a port list captures exactly those ports; exclusions do not apply; ranges render as a:b', () => {
    assert.deepEqual(chain(v4({ 'istio-inbound-ports': '9080,8000-8010', 'istio-local-exclude-ports': '15090' }), 'nat', 'ISTIO_INBOUND'), [
      '-A ISTIO_INBOUND -p tcp --dport 15008 -j RETURN',
      '-A ISTIO_INBOUND -p tcp --dport 9080 -j ISTIO_IN_REDIRECT',
      '-A ISTIO_INBOUND -p tcp --dport 8000:8010 -j ISTIO_IN_REDIRECT',
    ]);
  });
});

describe('outbound (-i, -x, -q, -o)', () => {
  test('"*" redirects everything that is left', () => {
    assert.equal(chain(v4(), 'nat', 'ISTIO_OUTPUT').at(-1), '-A ISTIO_OUTPUT -j ISTIO_REDIRECT');
  });

  test('a CIDR list redirects those ranges and returns the rest; IPv4 and IPv6 ranges go to their family', () => {
    const flags = { 'istio-service-cidr': '10.96.0.0/12,fd00:10:96::/112' };
    assert.deepEqual(chain(v4(flags), 'nat', 'ISTIO_OUTPUT').slice(-2), ['-A ISTIO_OUTPUT -d 10.96.0.0/12 -j ISTIO_REDIRECT', '-A ISTIO_OUTPUT -j RETURN']);
    assert.deepEqual(chain(v6(flags), 'nat', 'ISTIO_OUTPUT').slice(-2), ['-A ISTIO_OUTPUT -d fd00:10:96::/112 -j ISTIO_REDIRECT', '-A ISTIO_OUTPUT -j RETURN']);
  });

  test('an empty include list redirects nothing outbound', () => {
    const out = chain(v4({ 'istio-service-cidr': '' }), 'nat', 'ISTIO_OUTPUT');
    assert.ok(!out.some((l) => l.includes('ISTIO_REDIRECT')));
  });

  test('host bits are cleared as iptables stores them', () => {
    assert.ok(v4({ 'istio-service-cidr': '10.96.3.4/12' }).includes('-A ISTIO_OUTPUT -d 10.96.0.0/12 -j ISTIO_REDIRECT'));
  });

  test('excluded ranges return after localhost and before inclusions', () => {
    const out = chain(v4({ 'istio-service-exclude-cidr': '169.254.169.254/32,10.0.0.1', 'istio-outbound-ports': '3306' }), 'nat', 'ISTIO_OUTPUT');
    const at = (l: string) => out.indexOf(l);
    assert.ok(at('-A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN') < at('-A ISTIO_OUTPUT -d 169.254.169.254/32 -j RETURN'));
    assert.ok(at('-A ISTIO_OUTPUT -d 10.0.0.1/32 -j RETURN') < at('-A ISTIO_OUTPUT -p tcp --dport 3306 -j ISTIO_REDIRECT'));
    assert.ok(at('-A ISTIO_OUTPUT -p tcp --dport 3306 -j ISTIO_REDIRECT') < at('-A ISTIO_OUTPUT -j ISTIO_REDIRECT'));
  });

  test('excluded outbound ports come first, before the 127.0.0.6 rule', () => {
    const out = chain(v4({ 'istio-local-outbound-ports-exclude': '25,465' }), 'nat', 'ISTIO_OUTPUT');
    assert.deepEqual(out.slice(0, 3), ['-A ISTIO_OUTPUT -p tcp --dport 25 -j RETURN', '-A ISTIO_OUTPUT -p tcp --dport 465 -j RETURN', '-A ISTIO_OUTPUT -o lo -s 127.0.0.6/32 -j RETURN']);
  });

  test('loopback in the include ranges keeps loopback traffic of the app captured', () => {
    const out = chain(v4({ 'istio-service-cidr': '127.0.0.1/32,10.0.0.0/8' }), 'nat', 'ISTIO_OUTPUT');
    assert.ok(!out.some((l) => l.includes('! --uid-owner')));
  });
});

describe('interfaces (-c, -k)', () => {
  test('excluded interfaces return in PREROUTING and OUTPUT, in mangle too under TPROXY', () => {
    const redirect = v4({ 'istio-exclude-interfaces': 'eth9' });
    assert.ok(redirect.includes('-A PREROUTING -i eth9 -j RETURN') && redirect.includes('-A OUTPUT -o eth9 -j RETURN'));
    assert.equal(table(redirect, 'mangle').length, 0);
    const tproxy = table(v4({ 'istio-exclude-interfaces': 'eth9', 'istio-inbound-interception-mode': 'TPROXY' }), 'mangle');
    assert.ok(tproxy.includes('-A PREROUTING -i eth9 -j RETURN') && tproxy.includes('-A OUTPUT -o eth9 -j RETURN'));
  });

  test('KubeVirt interfaces: RETURN inserted first, then redirect inserted above it', () => {
    const nat = rules({ 'kube-virt-interfaces': 'net1' }).v4;
    const prerouting = finalChains(nat).get('nat:PREROUTING')!.map((r) => r.params.join(' '));
    assert.deepEqual(prerouting, ['-i net1 -j ISTIO_REDIRECT', '-i net1 -j RETURN', '-p tcp -j ISTIO_INBOUND']);
    const cidrs = finalChains(rules({ 'kube-virt-interfaces': 'net1', 'istio-service-cidr': '10.0.0.0/8' }).v4).get('nat:PREROUTING')!;
    assert.equal(cidrs[0]!.params.join(' '), '-i net1 -d 10.0.0.0/8 -j ISTIO_REDIRECT');
  });
});

describe('TPROXY (-m TPROXY, -t, -r)', () => {
  test("the mangle table, rule for rule, with Istio's insert positions", () => {
    const text = v4({ 'istio-inbound-interception-mode': 'TPROXY', 'istio-local-exclude-ports': '15090', 'istio-inbound-tproxy-mark': '77' });
    assert.deepEqual(table(text, 'mangle'), [
      '-N ISTIO_DIVERT',
      '-N ISTIO_TPROXY',
      '-N ISTIO_INBOUND',
      '-A ISTIO_DIVERT -j MARK --set-mark 77',
      '-A ISTIO_DIVERT -j ACCEPT',
      '-A ISTIO_TPROXY ! -d 127.0.0.1/32 -p tcp -j TPROXY --tproxy-mark 77/0xffffffff --on-port 15006',
      '-A PREROUTING -p tcp -j ISTIO_INBOUND',
      '-A ISTIO_INBOUND -p tcp --dport 22 -j RETURN',
      '-A ISTIO_INBOUND -p tcp --dport 15090 -j RETURN',
      '-A ISTIO_INBOUND -p tcp -m conntrack --ctstate RELATED,ESTABLISHED -j ISTIO_DIVERT',
      '-A ISTIO_INBOUND -p tcp -j ISTIO_TPROXY',
      '-A PREROUTING -p tcp -m mark --mark 77 -j CONNMARK --save-mark',
      '-A OUTPUT -p tcp -o lo -m mark --mark 77 -j RETURN',
      '-A OUTPUT ! -d 127.0.0.1/32 -p tcp -o lo -m owner --uid-owner 1337 -j MARK --set-mark 1338',
      '-A OUTPUT ! -d 127.0.0.1/32 -p tcp -o lo -m owner --gid-owner 1337 -j MARK --set-mark 1338',
      '-A OUTPUT -p tcp -m connmark --mark 77 -j CONNMARK --restore-mark',
      '-I ISTIO_INBOUND 1 -p tcp -m mark --mark 77 -j RETURN',
      '-I ISTIO_INBOUND 2 -p tcp -s 127.0.0.6/32 -i lo -j RETURN',
      '-I ISTIO_INBOUND 3 -p tcp -i lo -m mark ! --mark 1338 -j RETURN',
    ]);
    // nat keeps the outbound redirect and the tunnel rule, but no inbound jump.
    assert.ok(!table(text, 'nat').some((l) => l.startsWith('-A PREROUTING')));
  });

  test('per-port TPROXY diverts established packets and proxies new ones', () => {
    const text = v4({ 'istio-inbound-interception-mode': 'TPROXY', 'istio-inbound-ports': '9080' });
    assert.deepEqual(chain(text, 'mangle', 'ISTIO_INBOUND').filter((l) => l.includes('9080')), [
      '-A ISTIO_INBOUND -p tcp --dport 9080 -m conntrack --ctstate RELATED,ESTABLISHED -j ISTIO_DIVERT',
      '-A ISTIO_INBOUND -p tcp --dport 9080 -j ISTIO_TPROXY',
    ]);
  });

  test('IPv6 uses ::1 and ::6', () => {
    const text = v6({ 'istio-inbound-interception-mode': 'TPROXY' });
    assert.ok(text.includes('-A ISTIO_TPROXY ! -d ::1/128 -p tcp -j TPROXY --tproxy-mark 1337/0xffffffff --on-port 15006'));
    assert.ok(text.includes('-I ISTIO_INBOUND 2 -p tcp -s ::6/128 -i lo -j RETURN'));
    assert.ok(text.includes('-A ISTIO_OUTPUT -o lo -s ::6/128 -j RETURN'));
  });
});

describe('DNS (--redirect-dns, --capture-all-dns)', () => {
  const dns = { 'redirect-dns': true, 'dns-servers': '10.96.0.10,fd00::a' };

  test('TCP DNS to the configured servers is redirected after the proxy returns, before localhost', () => {
    const out = chain(v4(dns), 'nat', 'ISTIO_OUTPUT');
    const redirect = out.indexOf('-A ISTIO_OUTPUT -p tcp --dport 53 -d 10.96.0.10/32 -j REDIRECT --to-ports 15053');
    assert.ok(redirect > out.indexOf('-A ISTIO_OUTPUT -m owner --gid-owner 1337 -j RETURN'));
    assert.ok(redirect < out.indexOf('-A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN'));
    assert.ok(out.includes('-A ISTIO_OUTPUT -o lo ! -d 127.0.0.1/32 -p tcp ! --dport 53 -m owner --uid-owner 1337 -j ISTIO_IN_REDIRECT'));
    assert.ok(out.includes('-A ISTIO_OUTPUT -o lo -p tcp ! --dport 53 -m owner ! --uid-owner 1337 -j RETURN'));
  });

  test('UDP DNS goes through ISTIO_OUTPUT_DNS in nat, with conntrack zones in raw', () => {
    const text = v4(dns);
    assert.deepEqual(chain(text, 'nat', 'ISTIO_OUTPUT_DNS'), [
      '-A ISTIO_OUTPUT_DNS -p udp --dport 53 -m owner --uid-owner 1337 -j RETURN',
      '-A ISTIO_OUTPUT_DNS -p udp --dport 53 -m owner --gid-owner 1337 -j RETURN',
      '-A ISTIO_OUTPUT_DNS -p udp --dport 53 -d 10.96.0.10/32 -j REDIRECT --to-ports 15053',
    ]);
    assert.ok(text.includes('-A OUTPUT -p udp -j ISTIO_OUTPUT_DNS'));
    assert.deepEqual(table(text, 'raw'), [
      '-N ISTIO_OUTPUT_DNS',
      '-N ISTIO_INBOUND',
      '-A OUTPUT -p udp -j ISTIO_OUTPUT_DNS',
      '-A PREROUTING -p udp -j ISTIO_INBOUND',
      '-A ISTIO_OUTPUT_DNS -p udp --dport 53 -m owner --uid-owner 1337 -j CT --zone 1',
      '-A ISTIO_OUTPUT_DNS -p udp --sport 15053 -m owner --uid-owner 1337 -j CT --zone 2',
      '-A ISTIO_OUTPUT_DNS -p udp --dport 53 -m owner --gid-owner 1337 -j CT --zone 1',
      '-A ISTIO_OUTPUT_DNS -p udp --sport 15053 -m owner --gid-owner 1337 -j CT --zone 2',
      '-A ISTIO_OUTPUT_DNS -p udp --dport 53 -d 10.96.0.10/32 -j CT --zone 2',
      '-A ISTIO_INBOUND -p udp --sport 53 -s 10.96.0.10/32 -j CT --zone 1',
    ]);
    assert.ok(v6(dns).includes('-A ISTIO_OUTPUT_DNS -p udp --dport 53 -d fd00::a/128 -j REDIRECT --to-ports 15053'));
  });

  test('--capture-all-dns captures DNS to any server', () => {
    const text = v4({ 'redirect-dns': true, 'capture-all-dns': true });
    assert.ok(text.includes('-A ISTIO_OUTPUT -p tcp --dport 53 -j REDIRECT --to-ports 15053'));
    assert.ok(text.includes('-A ISTIO_OUTPUT_DNS -p udp --dport 53 -j REDIRECT --to-ports 15053'));
    assert.ok(text.includes('-A ISTIO_INBOUND -p udp --sport 53 -j CT --zone 1'));
  });

  test('no DNS rules without --redirect-dns', () => {
    assert.ok(!v4({ 'dns-servers': '10.96.0.10' }).some((l) => l.includes('15053') || l.includes('raw')));
  });
});

describe('owner groups, --drop-invalid', () => {
  test('an include list returns traffic of every other group', () => {
    const out = chain(v4({}, { ISTIO_OUTBOUND_OWNER_GROUPS: 'java,1001' }), 'nat', 'ISTIO_OUTPUT');
    assert.ok(out.includes('-A ISTIO_OUTPUT -m owner ! --gid-owner java -m owner ! --gid-owner 1001 -j RETURN'));
  });

  test('an exclude list returns those groups; an include list other than * wins', () => {
    const excluded = chain(v4({}, { ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE: 'ops,1002' }), 'nat', 'ISTIO_OUTPUT');
    assert.ok(excluded.includes('-A ISTIO_OUTPUT -m owner --gid-owner ops -j RETURN'));
    assert.ok(excluded.includes('-A ISTIO_OUTPUT -m owner --gid-owner 1002 -j RETURN'));
    const both = chain(v4({}, { ISTIO_OUTBOUND_OWNER_GROUPS: 'java', ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE: 'ops' }), 'nat', 'ISTIO_OUTPUT');
    assert.ok(!both.some((l) => l.includes('--gid-owner ops')));
  });

  test('--drop-invalid drops INVALID packets in mangle PREROUTING', () => {
    assert.ok(v4({ 'drop-invalid': true }).includes('-A PREROUTING -m conntrack --ctstate INVALID -j DROP'));
    assert.ok(!v4().some((l) => l.includes('INVALID')));
  });
});

describe('IPv6', () => {
  test('the IPv6 rules mirror IPv4 with ::1 and ::6', () => {
    const text = v6();
    assert.ok(text.includes('-A ISTIO_OUTPUT -o lo -s ::6/128 -j RETURN'));
    assert.ok(text.includes('-A ISTIO_OUTPUT -o lo ! -d ::1/128 -m owner --uid-owner 1337 -j ISTIO_IN_REDIRECT'));
    assert.ok(text.includes('-A ISTIO_OUTPUT -d ::1/128 -j RETURN'));
    assert.equal(text.at(-2), '-A ISTIO_OUTPUT -j ISTIO_REDIRECT');
  });

  test('with IPv6 off, the wildcard redirect is only generated for IPv4', () => {
    const set = rules({ ipv6: 'false' });
    assert.ok(!set.v6.some((r) => r.params.join(' ') === '-j ISTIO_REDIRECT'));
  });
});

describe('renderRestore', () => {
  test('tables sorted, -N first in order of use, -I with its position, COMMIT', () => {
    const text = renderRestore([
      { table: 'nat', chain: 'ISTIO_B', params: ['-j', 'RETURN'] },
      { table: 'mangle', chain: 'PREROUTING', params: ['-j', 'ISTIO_X'] },
      { table: 'nat', chain: 'ISTIO_A', insertAt: 1, params: ['-j', 'ISTIO_B'] },
      { table: 'mangle', chain: 'ISTIO_X', params: ['-m', 'comment', '--comment', 'two words', '-j', 'RETURN'] },
    ]);
    assert.equal(text, ['* mangle', '-N ISTIO_X', '-A PREROUTING -j ISTIO_X', '-A ISTIO_X -m comment --comment "two words" -j RETURN', 'COMMIT', '* nat', '-N ISTIO_B', '-N ISTIO_A', '-A ISTIO_B -j RETURN', '-I ISTIO_A 1 -j ISTIO_B', 'COMMIT', ''].join('\n'));
    assert.equal(renderRestore([]), '');
  });

  test('a chain that is only jumped to is still created', () => {
    assert.match(renderRestore([{ table: 'raw', chain: 'PREROUTING', params: ['-p', 'udp', '-j', 'ISTIO_INBOUND'] }]), /-N ISTIO_INBOUND/);
  });
});
