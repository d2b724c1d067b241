import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CaptureConfigError, nameserversFromResolvConf, resolveCaptureConfig } from '../../src/capture/index.js';

const resolve = (flags: Record<string, string | boolean> = {}, env: Record<string, string> = {}, machine = {}) =>
  resolveCaptureConfig(flags, env, machine);

describe('resolveCaptureConfig: defaults and precedence', () => {
  test("istio-iptables' defaults", () => {
    const c = resolve();
    assert.equal(c.proxyPort, 15001);
    assert.equal(c.inboundCapturePort, 15006);
    assert.equal(c.inboundTunnelPort, 15008);
    assert.deepEqual(c.proxyUids, ['1337']);
    assert.deepEqual(c.proxyGids, ['1337']);
    assert.equal(c.interceptionMode, 'REDIRECT');
    assert.equal(c.inboundTproxyMark, 1337);
    assert.equal(c.inboundTproxyRouteTable, 133);
    assert.deepEqual(c.inboundPortsInclude, { all: false, ports: [] });
    assert.equal(c.outboundRangesInclude.v4.isWildcard, false);
    assert.equal(c.redirectDns, false);
    assert.equal(c.dropInvalid, false);
    assert.equal(c.enableIpv6, false);
    assert.deepEqual(c.ownerGroupsInclude, ['*']);
    assert.equal(c.hostIpv4LoopbackCidr.address, '127.0.0.1');
  });

  test('the gid defaults to the uid; an explicit gid wins', () => {
    assert.deepEqual(resolve({ 'proxy-uid': '1000,1001' }).proxyGids, ['1000', '1001']);
    assert.deepEqual(resolve({ 'proxy-uid': '1000', 'proxy-gid': '2000' }).proxyGids, ['2000']);
  });

  test('environment variables are read when a flag is absent; flags win', () => {
    const env = { ISTIO_INBOUND_PORTS: '9080', ISTIO_SERVICE_CIDR: '10.0.0.0/8', ENVOY_PORT: '16001', ISTIO_INBOUND_INTERCEPTION_MODE: 'TPROXY' };
    const fromEnv = resolve({}, env);
    assert.deepEqual(fromEnv.inboundPortsInclude, { all: false, ports: [{ from: 9080, to: 9080 }] });
    assert.equal(fromEnv.outboundRangesInclude.v4.cidrs[0]?.address, '10.0.0.0');
    assert.equal(fromEnv.proxyPort, 16001);
    assert.equal(fromEnv.interceptionMode, 'TPROXY');
    const flagsWin = resolve({ 'istio-inbound-ports': '*', 'envoy-port': '15001' }, env);
    assert.deepEqual(flagsWin.inboundPortsInclude, { all: true });
    assert.equal(flagsWin.proxyPort, 15001);
  });

  test("every capture flag has an environment name from Istio's long flag name", () => {
    const env = {
      INBOUND_CAPTURE_PORT: '16006', INBOUND_TUNNEL_PORT: '16008', PROXY_UID: '7', PROXY_GID: '8',
      ISTIO_INBOUND_TPROXY_MARK: '77', ISTIO_INBOUND_TPROXY_ROUTE_TABLE: '99', ISTIO_LOCAL_EXCLUDE_PORTS: '1,2',
      ISTIO_SERVICE_EXCLUDE_CIDR: '10.1.0.0/16', ISTIO_OUTBOUND_PORTS: '3306', ISTIO_LOCAL_OUTBOUND_PORTS_EXCLUDE: '25',
      ISTIO_EXCLUDE_INTERFACES: 'eth9', KUBE_VIRT_INTERFACES: 'net1', REDIRECT_DNS: 'true', CAPTURE_ALL_DNS: 'true',
      DROP_INVALID: 'true', ENABLE_INBOUND_IPV6: 'true',
    };
    const c = resolve({}, env);
    assert.equal(c.inboundCapturePort, 16006);
    assert.equal(c.inboundTunnelPort, 16008);
    assert.deepEqual([c.proxyUids, c.proxyGids], [['7'], ['8']]);
    assert.equal(c.inboundTproxyMark, 77);
    assert.equal(c.inboundTproxyRouteTable, 99);
    assert.equal(c.inboundPortsExclude.length, 2);
    assert.equal(c.outboundRangesExclude.v4.cidrs[0]?.prefix, 16);
    assert.equal(c.outboundPortsInclude[0]?.from, 3306);
    assert.equal(c.outboundPortsExclude[0]?.from, 25);
    assert.deepEqual(c.excludeInterfaces, ['eth9']);
    assert.deepEqual(c.kubeVirtInterfaces, ['net1']);
    assert.equal(c.redirectDns, true);
    assert.equal(c.captureAllDns, true);
    assert.equal(c.dropInvalid, true);
    assert.equal(c.enableIpv6, true);
  });

  test('owner groups and the loopback range come from the environment only', () => {
    const c = resolve({}, { ISTIO_OUTBOUND_OWNER_GROUPS: 'java,1001', ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE: 'ops', ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR: '127.0.0.0/8' });
    assert.deepEqual(c.ownerGroupsInclude, ['java', '1001']);
    assert.deepEqual(c.ownerGroupsExclude, ['ops']);
    assert.equal(c.hostIpv4LoopbackCidr.prefix, 8);
  });

  test('--ipv6=auto follows the first non-loopback address; true and false are explicit', () => {
    assert.equal(resolve({}, {}, { firstAddressIsIpv6: true }).enableIpv6, true);
    assert.equal(resolve({ ipv6: 'auto' }, {}, { firstAddressIsIpv6: false }).enableIpv6, false);
    assert.equal(resolve({ ipv6: 'false' }, {}, { firstAddressIsIpv6: true }).enableIpv6, false);
    assert.equal(resolve({ ipv6: true }).enableIpv6, true);
  });

  test('DNS servers come from --dns-servers, else resolv.conf, split by family', () => {
    const resolvConf = '# comment\nsearch default.svc.cluster.local\nnameserver 10.96.0.10\nnameserver fd00::a\nnameserver fe80::1%eth0\noptions ndots:5\n';
    const fromFile = resolve({ 'redirect-dns': true }, {}, { resolvConf });
    assert.deepEqual(fromFile.dnsServersV4, ['10.96.0.10']);
    assert.deepEqual(fromFile.dnsServersV6, ['fd00::a', 'fe80::1']);
    const fromFlag = resolve({ 'redirect-dns': true, 'dns-servers': '1.1.1.1,2606:4700::1111' }, {}, { resolvConf });
    assert.deepEqual(fromFlag.dnsServersV4, ['1.1.1.1']);
    assert.deepEqual(fromFlag.dnsServersV6, ['2606:4700::1111']);
  });

  test('DNS capture without servers and without --capture-all-dns is switched off with a warning', () => {
    const c = resolve({ 'redirect-dns': true }, {}, { resolvConf: '' });
    assert.equal(c.redirectDns, false);
    assert.match(c.warnings[0] ?? '', /DNS capture disabled/);
    assert.equal(resolve({ 'redirect-dns': true, 'capture-all-dns': true }).redirectDns, true);
  });

  test('port ranges are accepted in port lists', () => {
    const c = resolve({ 'istio-inbound-ports': '8000-8010,9000:9005', 'istio-local-outbound-ports-exclude': '25' });
    assert.deepEqual(c.inboundPortsInclude, { all: false, ports: [{ from: 8000, to: 8010 }, { from: 9000, to: 9005 }] });
  });

  test('resolv.conf nameservers', () => {
    assert.deepEqual(nameserversFromResolvConf('nameserver 1.2.3.4\n  nameserver   ::1\n#nameserver 9.9.9.9\n'), ['1.2.3.4', '::1']);
  });
});

describe('resolveCaptureConfig: bad input names the flag and the value', () => {
  const cases: [string, Record<string, string>, Record<string, string>, RegExp][] = [
    ['an invalid CIDR', { 'istio-service-cidr': '10.0.0.0/33' }, {}, /invalid value "10\.0\.0\.0\/33" for --istio-service-cidr: prefix length must be 0-32/],
    ['a non-address in a CIDR list', { 'istio-service-exclude-cidr': '10.0.0.0/8,banana' }, {}, /for --istio-service-exclude-cidr: "banana" is not an IP address/],
    ['"*" in an excluded range list', { 'istio-service-exclude-cidr': '*' }, {}, /for --istio-service-exclude-cidr: "\*" is not allowed in an exclusion list/],
    ['"*" in an excluded port list', { 'istio-local-exclude-ports': '*' }, {}, /for --istio-local-exclude-ports: "\*" is not allowed/],
    ['"*" among other inbound ports', { 'istio-inbound-ports': '*,80' }, {}, /cannot be combined/],
    ['an unknown mode', { 'istio-inbound-interception-mode': 'TPROXY2' }, {}, /invalid value "TPROXY2" for --istio-inbound-interception-mode: interception mode must be REDIRECT or TPROXY/],
    ['a port out of range', { 'envoy-port': '70000' }, {}, /invalid value "70000" for --envoy-port: port out of range 1-65535/],
    ['a port that is not a number', { 'istio-inbound-ports': '80,http' }, {}, /invalid value "http" for --istio-inbound-ports: not a port number/],
    ['a reversed range', { 'istio-outbound-ports': '90-80' }, {}, /port range is reversed/],
    ['a uid that is not numeric', { 'proxy-uid': 'istio-proxy' }, {}, /for --proxy-uid: "istio-proxy" is not a numeric user or group id/],
    ['a zero mark', { 'istio-inbound-tproxy-mark': '0' }, {}, /must not be 0/],
    ['a reserved route table', { 'istio-inbound-tproxy-route-table': '254' }, {}, /reserved/],
    ['a bad boolean', { 'redirect-dns': 'maybe' }, {}, /invalid value "maybe" for --redirect-dns: expected true or false/],
    ['a bad interface name', { 'kube-virt-interfaces': 'eth0,a/b' }, {}, /"a\/b" is not a valid interface name/],
    ['a bad DNS server', { 'dns-servers': '1.2.3' }, {}, /for --dns-servers: "1\.2\.3" is not an IP address/],
    ['a bad value from the environment names the variable', {}, { ISTIO_INBOUND_PORTS: 'x' }, /invalid value "x" for ISTIO_INBOUND_PORTS/],
    ['a loopback range outside 127/8', {}, { ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR: '10.0.0.1/32' }, /ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR: must be an IPv4 range inside 127\.0\.0\.0\/8/],
    ['"*" in the excluded owner groups', {}, { ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE: '*' }, /not allowed in an exclusion list/],
  ];
  for (const [name, flags, env, message] of cases) {
    test(name, () => {
      assert.throws(() => resolve(flags, env), (error: unknown) => error instanceof CaptureConfigError && message.test(error.message));
    });
  }
});
