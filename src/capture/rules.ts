// The capture policy of istio-iptables, rule for rule: CaptureConfig in, the
// IPv4 and IPv6 rule lists out. Pure: no process is run and nothing is read.
import type { CaptureConfig } from './config.js';
import { formatCidr } from './cidr.js';
import type { NetworkRange } from './cidr.js';
import { formatPortSpec } from './parse.js';
import type { PortSpec } from './parse.js';
import { RuleBuilder, VERSIONED } from './rule-builder.js';
import type { RuleSet } from './rule-builder.js';
import {
  DNS_CAPTURE_PORT,
  INBOUND_PASSTHROUGH_V4,
  INBOUND_PASSTHROUGH_V6,
  ISTIO_DIVERT,
  ISTIO_INBOUND,
  ISTIO_IN_REDIRECT,
  ISTIO_OUTPUT,
  ISTIO_OUTPUT_DNS,
  ISTIO_REDIRECT,
  ISTIO_TPROXY,
  LOCALHOST_V6,
  OUTBOUND_MARK,
  SSH_PORT,
} from './constants.js';

const port = (spec: PortSpec) => formatPortSpec(spec, ':');
const dnsPort = String(DNS_CAPTURE_PORT);

export function buildRuleSet(config: CaptureConfig): RuleSet {
  const rb = new RuleBuilder();
  const loopbackV4 = formatCidr(config.hostIpv4LoopbackCidr);
  const tproxy = config.interceptionMode === 'TPROXY';
  const mark = String(config.inboundTproxyMark);
  const redirectDns = config.redirectDns;

  excludeInterfaces(rb, config);
  // KubeVirt interfaces carry a VM's own traffic: leave it alone at the top of PREROUTING.
  for (const iface of config.kubeVirtInterfaces) rb.insert('nat', 'PREROUTING', 1, '-i', iface, '-j', 'RETURN');

  if (config.dropInvalid) {
    // Out-of-window packets are dropped rather than answered with a reset.
    rb.append('mangle', 'PREROUTING', '-m', 'conntrack', '--ctstate', 'INVALID', '-j', 'DROP');
  }

  // The HBONE tunnel port is always reached directly.
  rb.append('nat', ISTIO_INBOUND, '-p', 'tcp', '--dport', String(config.inboundTunnelPort), '-j', 'RETURN');
  rb.append('nat', ISTIO_REDIRECT, '-p', 'tcp', '-j', 'REDIRECT', '--to-ports', String(config.proxyPort));
  rb.append('nat', ISTIO_IN_REDIRECT, '-p', 'tcp', '-j', 'REDIRECT', '--to-ports', String(config.inboundCapturePort));

  inboundPorts(rb, config);

  rb.append('nat', 'OUTPUT', '-p', 'tcp', '-j', ISTIO_OUTPUT);
  // Port exclusions come before anything that could send traffic back to the proxy.
  for (const spec of config.outboundPortsExclude) rb.append('nat', ISTIO_OUTPUT, '-p', 'tcp', '--dport', port(spec), '-j', 'RETURN');

  // The proxy reaches the app from 127.0.0.6 (::6): that hop must not be captured again.
  rb.appendVersioned(INBOUND_PASSTHROUGH_V4, INBOUND_PASSTHROUGH_V6, 'nat', ISTIO_OUTPUT, '-o', 'lo', '-s', VERSIONED, '-j', 'RETURN');

  const loopbackIncluded = config.outboundRangesInclude.v4.hasLoopback || config.outboundRangesInclude.v6.hasLoopback;
  for (const [owner, ids] of [['--uid-owner', config.proxyUids], ['--gid-owner', config.proxyGids]] as const) {
    for (const id of ids) {
      // The app calling itself through a service VIP: app → proxy (outbound) → proxy (inbound) → app.
      rb.appendVersioned(loopbackV4, LOCALHOST_V6, 'nat', ISTIO_OUTPUT,
        '-o', 'lo', '!', '-d', VERSIONED,
        ...(redirectDns ? ['-p', 'tcp', '!', '--dport', '53'] : []),
        '-m', 'owner', owner, id, '-j', ISTIO_IN_REDIRECT);
      // The app calling itself by its own address over lo goes straight through,
      // unless loopback was asked for explicitly in the include ranges.
      if (!loopbackIncluded) {
        rb.append('nat', ISTIO_OUTPUT, '-o', 'lo',
          ...(redirectDns ? ['-p', 'tcp', '!', '--dport', '53'] : []),
          '-m', 'owner', '!', owner, id, '-j', 'RETURN');
      }
      // Never loop the proxy's own traffic back to itself, whatever the protocol.
      rb.append('nat', ISTIO_OUTPUT, '-m', 'owner', owner, id, '-j', 'RETURN');
    }
  }

  ownerGroupFilter(rb, config, ISTIO_OUTPUT, []);

  if (redirectDns) dnsRedirect(rb, config);

  // Envoy-aware apps and container-to-container calls use localhost: not captured.
  rb.appendVersioned(loopbackV4, LOCALHOST_V6, 'nat', ISTIO_OUTPUT, '-d', VERSIONED, '-j', 'RETURN');
  // Range exclusions must precede inclusions.
  for (const cidr of config.outboundRangesExclude.v4.cidrs) rb.appendV4('nat', ISTIO_OUTPUT, '-d', formatCidr(cidr), '-j', 'RETURN');
  for (const cidr of config.outboundRangesExclude.v6.cidrs) rb.appendV6('nat', ISTIO_OUTPUT, '-d', formatCidr(cidr), '-j', 'RETURN');

  for (const spec of config.outboundPortsInclude) rb.append('nat', ISTIO_OUTPUT, '-p', 'tcp', '--dport', port(spec), '-j', ISTIO_REDIRECT);

  outboundRanges(rb, config, config.outboundRangesInclude.v4, 4);
  if (config.enableIpv6) outboundRanges(rb, config, config.outboundRangesInclude.v6, 6);

  if (tproxy) {
    // Keep the mark of TPROXY'd connections on the connection, so replies follow it.
    rb.append('mangle', 'PREROUTING', '-p', 'tcp', '-m', 'mark', '--mark', mark, '-j', 'CONNMARK', '--save-mark');
    // Proxy → app traffic already carries the mark: do not mark it again.
    rb.append('mangle', 'OUTPUT', '-p', 'tcp', '-o', 'lo', '-m', 'mark', '--mark', mark, '-j', 'RETURN');
    // app → VIP → proxy outbound → proxy inbound → app: mark the proxy's packets to the pod's own address.
    for (const [owner, ids] of [['--uid-owner', config.proxyUids], ['--gid-owner', config.proxyGids]] as const) {
      for (const id of ids) {
        rb.appendVersioned(loopbackV4, LOCALHOST_V6, 'mangle', 'OUTPUT',
          '!', '-d', VERSIONED, '-p', 'tcp', '-o', 'lo', '-m', 'owner', owner, id,
          '-j', 'MARK', '--set-mark', String(OUTBOUND_MARK));
      }
    }
    // Replies of TPROXY'd connections get the mark back, which routes them via the TPROXY table.
    rb.append('mangle', 'OUTPUT', '-p', 'tcp', '-m', 'connmark', '--mark', mark, '-j', 'CONNMARK', '--restore-mark');
    // Already diverted: do not divert again.
    rb.insert('mangle', ISTIO_INBOUND, 1, '-p', 'tcp', '-m', 'mark', '--mark', mark, '-j', 'RETURN');
    // The proxy (or agent) reaching the app from 127.0.0.6 by the pod's address.
    rb.insertV4('mangle', ISTIO_INBOUND, 2, '-p', 'tcp', '-s', INBOUND_PASSTHROUGH_V4, '-i', 'lo', '-j', 'RETURN');
    rb.insertV6('mangle', ISTIO_INBOUND, 2, '-p', 'tcp', '-s', INBOUND_PASSTHROUGH_V6, '-i', 'lo', '-j', 'RETURN');
    // The app reaching itself by the pod's address, unless it went through the proxy.
    rb.insert('mangle', ISTIO_INBOUND, 3, '-p', 'tcp', '-i', 'lo', '-m', 'mark', '!', '--mark', String(OUTBOUND_MARK), '-j', 'RETURN');
  }

  return rb.build();
}

function excludeInterfaces(rb: RuleBuilder, config: CaptureConfig): void {
  for (const iface of config.excludeInterfaces) {
    rb.append('nat', 'PREROUTING', '-i', iface, '-j', 'RETURN');
    rb.append('nat', 'OUTPUT', '-o', iface, '-j', 'RETURN');
  }
  if (config.interceptionMode === 'TPROXY') {
    for (const iface of config.excludeInterfaces) {
      rb.append('mangle', 'PREROUTING', '-i', iface, '-j', 'RETURN');
      rb.append('mangle', 'OUTPUT', '-o', iface, '-j', 'RETURN');
    }
  }
}

function inboundPorts(rb: RuleBuilder, config: CaptureConfig): void {
  const include = config.inboundPortsInclude;
  if (!include.all && include.ports.length === 0) return; // no inbound capture
  const tproxy = config.interceptionMode === 'TPROXY';
  const table = tproxy ? 'mangle' : 'nat';
  const mark = String(config.inboundTproxyMark);

  if (tproxy) {
    // Packets of diverted connections are marked so the TPROXY route table sends them to lo.
    rb.append('mangle', ISTIO_DIVERT, '-j', 'MARK', '--set-mark', mark);
    rb.append('mangle', ISTIO_DIVERT, '-j', 'ACCEPT');
    // New connections go to the inbound capture port, keeping their original destination.
    rb.appendVersioned('127.0.0.1/32', LOCALHOST_V6, 'mangle', ISTIO_TPROXY,
      '!', '-d', VERSIONED, '-p', 'tcp', '-j', 'TPROXY',
      '--tproxy-mark', `${mark}/0xffffffff`, '--on-port', String(config.inboundCapturePort));
  }
  rb.append(table, 'PREROUTING', '-p', 'tcp', '-j', ISTIO_INBOUND);

  if (include.all) {
    rb.append(table, ISTIO_INBOUND, '-p', 'tcp', '--dport', String(SSH_PORT), '-j', 'RETURN');
    for (const spec of config.inboundPortsExclude) rb.append(table, ISTIO_INBOUND, '-p', 'tcp', '--dport', port(spec), '-j', 'RETURN');
    if (tproxy) {
      rb.append('mangle', ISTIO_INBOUND, '-p', 'tcp', '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', ISTIO_DIVERT);
      rb.append('mangle', ISTIO_INBOUND, '-p', 'tcp', '-j', ISTIO_TPROXY);
    } else {
      rb.append('nat', ISTIO_INBOUND, '-p', 'tcp', '-j', ISTIO_IN_REDIRECT);
    }
    return;
  }
  for (const spec of include.ports) {
    if (tproxy) {
      rb.append('mangle', ISTIO_INBOUND, '-p', 'tcp', '--dport', port(spec), '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', ISTIO_DIVERT);
      rb.append('mangle', ISTIO_INBOUND, '-p', 'tcp', '--dport', port(spec), '-j', ISTIO_TPROXY);
    } else {
      rb.append('nat', ISTIO_INBOUND, '-p', 'tcp', '--dport', port(spec), '-j', ISTIO_IN_REDIRECT);
    }
  }
}

/**
 * ISTIO_OUTBOUND_OWNER_GROUPS / _EXCLUDE: capture only some groups' traffic.
 * An include list other than "*" wins over an exclude list, as in Istio.
 */
function ownerGroupFilter(rb: RuleBuilder, config: CaptureConfig, chain: string, match: string[]): void {
  const include = config.ownerGroupsInclude;
  if (include.length > 0 && !include.includes('*')) {
    const noneOf = include.flatMap((group) => ['-m', 'owner', '!', '--gid-owner', group]);
    rb.append('nat', chain, ...match, ...noneOf, '-j', 'RETURN');
    return;
  }
  for (const group of config.ownerGroupsExclude) rb.append('nat', chain, ...match, '-m', 'owner', '--gid-owner', group, '-j', 'RETURN');
}

function dnsRedirect(rb: RuleBuilder, config: CaptureConfig): void {
  // TCP DNS goes through ISTIO_OUTPUT, after the proxy's own traffic has returned.
  if (config.captureAllDns) {
    rb.append('nat', ISTIO_OUTPUT, '-p', 'tcp', '--dport', '53', '-j', 'REDIRECT', '--to-ports', dnsPort);
  } else {
    // Only the configured servers: a local resolver forwarding upstream must not loop back to the agent.
    for (const server of config.dnsServersV4) rb.appendV4('nat', ISTIO_OUTPUT, '-p', 'tcp', '--dport', '53', '-d', `${server}/32`, '-j', 'REDIRECT', '--to-ports', dnsPort);
    for (const server of config.dnsServersV6) rb.appendV6('nat', ISTIO_OUTPUT, '-p', 'tcp', '--dport', '53', '-d', `${server}/128`, '-j', 'REDIRECT', '--to-ports', dnsPort);
  }

  // UDP DNS has its own chain, reached from nat OUTPUT.
  rb.append('nat', 'OUTPUT', '-p', 'udp', '-j', ISTIO_OUTPUT_DNS);
  for (const [owner, ids] of [['--uid-owner', config.proxyUids], ['--gid-owner', config.proxyGids]] as const) {
    for (const id of ids) rb.append('nat', ISTIO_OUTPUT_DNS, '-p', 'udp', '--dport', '53', '-m', 'owner', owner, id, '-j', 'RETURN');
  }
  ownerGroupFilter(rb, config, ISTIO_OUTPUT_DNS, ['-p', 'udp', '--dport', '53']);
  if (config.captureAllDns) {
    rb.append('nat', ISTIO_OUTPUT_DNS, '-p', 'udp', '--dport', '53', '-j', 'REDIRECT', '--to-ports', dnsPort);
  } else {
    for (const server of config.dnsServersV4) rb.appendV4('nat', ISTIO_OUTPUT_DNS, '-p', 'udp', '--dport', '53', '-d', `${server}/32`, '-j', 'REDIRECT', '--to-ports', dnsPort);
    for (const server of config.dnsServersV6) rb.appendV6('nat', ISTIO_OUTPUT_DNS, '-p', 'udp', '--dport', '53', '-d', `${server}/128`, '-j', 'REDIRECT', '--to-ports', dnsPort);
  }

  // Conntrack zones keep the agent's upstream queries (zone 1) apart from the
  // app's redirected queries (zone 2): both may share a 5-tuple to the same server.
  rb.append('raw', 'OUTPUT', '-p', 'udp', '-j', ISTIO_OUTPUT_DNS);
  rb.append('raw', 'PREROUTING', '-p', 'udp', '-j', ISTIO_INBOUND);
  for (const [owner, ids] of [['--uid-owner', config.proxyUids], ['--gid-owner', config.proxyGids]] as const) {
    for (const id of ids) {
      rb.append('raw', ISTIO_OUTPUT_DNS, '-p', 'udp', '--dport', '53', '-m', 'owner', owner, id, '-j', 'CT', '--zone', '1');
      rb.append('raw', ISTIO_OUTPUT_DNS, '-p', 'udp', '--sport', dnsPort, '-m', 'owner', owner, id, '-j', 'CT', '--zone', '2');
    }
  }
  if (config.captureAllDns) {
    rb.append('raw', ISTIO_OUTPUT_DNS, '-p', 'udp', '--dport', '53', '-j', 'CT', '--zone', '2');
    rb.append('raw', ISTIO_INBOUND, '-p', 'udp', '--sport', '53', '-j', 'CT', '--zone', '1');
  } else {
    for (const server of config.dnsServersV4) {
      rb.appendV4('raw', ISTIO_OUTPUT_DNS, '-p', 'udp', '--dport', '53', '-d', `${server}/32`, '-j', 'CT', '--zone', '2');
      rb.appendV4('raw', ISTIO_INBOUND, '-p', 'udp', '--sport', '53', '-s', `${server}/32`, '-j', 'CT', '--zone', '1');
    }
    for (const server of config.dnsServersV6) {
      rb.appendV6('raw', ISTIO_OUTPUT_DNS, '-p', 'udp', '--dport', '53', '-d', `${server}/128`, '-j', 'CT', '--zone', '2');
      rb.appendV6('raw', ISTIO_INBOUND, '-p', 'udp', '--sport', '53', '-s', `${server}/128`, '-j', 'CT', '--zone', '1');
    }
  }
}

function outboundRanges(rb: RuleBuilder, config: CaptureConfig, include: NetworkRange, family: 4 | 6): void {
  const append = family === 4 ? rb.appendV4.bind(rb) : rb.appendV6.bind(rb);
  const insert = family === 4 ? rb.insertV4.bind(rb) : rb.insertV6.bind(rb);
  if (include.isWildcard) {
    append('nat', ISTIO_OUTPUT, '-j', ISTIO_REDIRECT);
    for (const iface of config.kubeVirtInterfaces) insert('nat', 'PREROUTING', 1, '-i', iface, '-j', ISTIO_REDIRECT);
    return;
  }
  if (include.cidrs.length === 0) return;
  for (const cidr of include.cidrs) {
    for (const iface of config.kubeVirtInterfaces) insert('nat', 'PREROUTING', 1, '-i', iface, '-d', formatCidr(cidr), '-j', ISTIO_REDIRECT);
    append('nat', ISTIO_OUTPUT, '-d', formatCidr(cidr), '-j', ISTIO_REDIRECT);
  }
  // Everything else leaves untouched.
  append('nat', ISTIO_OUTPUT, '-j', 'RETURN');
}
