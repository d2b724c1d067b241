// CaptureConfig: everything `outrigger iptables` needs to know, resolved from
// flags, then environment variables, then defaults — the precedence of
// istio-iptables. Inputs Istio reads from the machine (IPv6 or not, the DNS
// servers) arrive as plain data so that the same input always gives the same rules.
import { CaptureConfigError, parseBool, parseGroupList, parseIdList, parseInterfaceList, parsePort, parsePortList, parsePortsOrAll, parseUnsigned, splitList } from './parse.js';
import type { PortSpec, PortsOrAll } from './parse.js';
import { canonicalIp, isLoopback, parseCidr, parseRangeList } from './cidr.js';
import type { Cidr, NetworkRange } from './cidr.js';

export type InterceptionMode = 'REDIRECT' | 'TPROXY';

export interface CaptureConfig {
  proxyPort: number;
  inboundCapturePort: number;
  inboundTunnelPort: number;
  proxyUids: string[];
  proxyGids: string[];
  interceptionMode: InterceptionMode;
  inboundTproxyMark: number;
  inboundTproxyRouteTable: number;
  inboundPortsInclude: PortsOrAll;
  inboundPortsExclude: PortSpec[];
  outboundRangesInclude: { v4: NetworkRange; v6: NetworkRange };
  outboundRangesExclude: { v4: NetworkRange; v6: NetworkRange };
  outboundPortsInclude: PortSpec[];
  outboundPortsExclude: PortSpec[];
  excludeInterfaces: string[];
  kubeVirtInterfaces: string[];
  ownerGroupsInclude: string[];
  ownerGroupsExclude: string[];
  hostIpv4LoopbackCidr: Cidr;
  redirectDns: boolean;
  captureAllDns: boolean;
  dnsServersV4: string[];
  dnsServersV6: string[];
  dropInvalid: boolean;
  enableIpv6: boolean;
  /** Warnings produced while resolving (e.g. DNS capture switched off), for the CLI to log. */
  warnings: string[];
}

/**
 * One flag of istio-iptables: its long name (also the key in the flag map), the
 * environment variables read when the flag is absent (first wins), and the default.
 */
export interface FlagSpec {
  long: string;
  short?: string;
  env: string[];
  defaultValue: string;
  description: string;
  boolean?: boolean;
}

// The environment variable names follow Istio: the long flag name upper-cased with
// dashes turned to underscores, plus the names Istio's older scripts and the
// injector used.
export const captureFlags: readonly FlagSpec[] = [
  { long: 'envoy-port', short: 'p', env: ['ENVOY_PORT'], defaultValue: '15001', description: 'port to which all outbound TCP traffic is redirected (the proxy\'s virtualOutbound listener)' },
  { long: 'inbound-capture-port', short: 'z', env: ['INBOUND_CAPTURE_PORT'], defaultValue: '15006', description: 'port to which all inbound TCP traffic is redirected (virtualInbound)' },
  { long: 'inbound-tunnel-port', short: 'e', env: ['INBOUND_TUNNEL_PORT'], defaultValue: '15008', description: 'HBONE tunnel port, never captured' },
  { long: 'proxy-uid', short: 'u', env: ['PROXY_UID', 'ENVOY_USER'], defaultValue: '1337', description: 'comma-separated uids whose traffic is not captured (the proxy\'s)' },
  { long: 'proxy-gid', short: 'g', env: ['PROXY_GID'], defaultValue: '', description: 'comma-separated gids whose traffic is not captured (default: the proxy uid)' },
  { long: 'istio-inbound-interception-mode', short: 'm', env: ['ISTIO_INBOUND_INTERCEPTION_MODE', 'INBOUND_INTERCEPTION_MODE'], defaultValue: 'REDIRECT', description: 'inbound capture mode: REDIRECT or TPROXY' },
  { long: 'istio-inbound-tproxy-mark', short: 't', env: ['ISTIO_INBOUND_TPROXY_MARK', 'INBOUND_TPROXY_MARK'], defaultValue: '1337', description: 'packet mark for TPROXY' },
  { long: 'istio-inbound-tproxy-route-table', short: 'r', env: ['ISTIO_INBOUND_TPROXY_ROUTE_TABLE', 'INBOUND_TPROXY_ROUTE_TABLE'], defaultValue: '133', description: 'routing table for TPROXY-marked packets' },
  { long: 'istio-inbound-ports', short: 'b', env: ['ISTIO_INBOUND_PORTS', 'INBOUND_PORTS_INCLUDE'], defaultValue: '', description: 'inbound ports to capture: a list, or "*" for all; empty captures none' },
  { long: 'istio-local-exclude-ports', short: 'd', env: ['ISTIO_LOCAL_EXCLUDE_PORTS', 'INBOUND_PORTS_EXCLUDE'], defaultValue: '', description: 'inbound ports not captured when -b is "*"' },
  { long: 'istio-service-cidr', short: 'i', env: ['ISTIO_SERVICE_CIDR', 'OUTBOUND_IP_RANGES_INCLUDE'], defaultValue: '', description: 'outbound destination CIDRs to capture, or "*" for all' },
  { long: 'istio-service-exclude-cidr', short: 'x', env: ['ISTIO_SERVICE_EXCLUDE_CIDR', 'OUTBOUND_IP_RANGES_EXCLUDE'], defaultValue: '', description: 'outbound destination CIDRs never captured' },
  { long: 'istio-outbound-ports', short: 'q', env: ['ISTIO_OUTBOUND_PORTS', 'OUTBOUND_PORTS_INCLUDE'], defaultValue: '', description: 'outbound ports captured whatever their destination' },
  { long: 'istio-local-outbound-ports-exclude', short: 'o', env: ['ISTIO_LOCAL_OUTBOUND_PORTS_EXCLUDE', 'OUTBOUND_PORTS_EXCLUDE'], defaultValue: '', description: 'outbound ports never captured' },
  { long: 'istio-exclude-interfaces', short: 'c', env: ['ISTIO_EXCLUDE_INTERFACES', 'EXCLUDE_INTERFACES'], defaultValue: '', description: 'interfaces whose traffic is never captured' },
  { long: 'kube-virt-interfaces', short: 'k', env: ['KUBE_VIRT_INTERFACES', 'ISTIO_KUBE_VIRT_INTERFACES'], defaultValue: '', description: 'KubeVirt interfaces whose inbound traffic is treated as outbound' },
  { long: 'redirect-dns', env: ['REDIRECT_DNS', 'ISTIO_META_DNS_CAPTURE'], defaultValue: 'false', description: 'capture DNS to the agent on 15053', boolean: true },
  { long: 'capture-all-dns', env: ['CAPTURE_ALL_DNS', 'ISTIO_META_DNS_CAPTURE_ALL'], defaultValue: 'false', description: 'capture DNS to every server, not just those in resolv.conf', boolean: true },
  { long: 'drop-invalid', env: ['DROP_INVALID', 'INVALID_DROP'], defaultValue: 'false', description: 'drop packets conntrack marks INVALID instead of resetting connections', boolean: true },
  { long: 'ipv6', env: ['ENABLE_INBOUND_IPV6'], defaultValue: 'auto', description: 'generate ip6tables rules: true, false, or auto (on when the first non-loopback address is IPv6)' },
  { long: 'dns-servers', env: ['DNS_SERVERS'], defaultValue: '', description: 'DNS servers to capture (default: the nameservers in /etc/resolv.conf)' },
];

/** Values Istio reads only from the environment. */
export const captureEnvOnly = {
  ownerGroupsInclude: 'ISTIO_OUTBOUND_OWNER_GROUPS',
  ownerGroupsExclude: 'ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE',
  loopbackCidr: 'ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR',
} as const;

/** Facts about the machine, gathered by the shell, never by the core. */
export interface MachineFacts {
  /** Contents of /etc/resolv.conf, if any. */
  resolvConf?: string;
  /** Whether the first non-loopback address of this network namespace is IPv6. */
  firstAddressIsIpv6?: boolean;
}

export type FlagValues = Record<string, string | boolean | undefined>;
export type Environment = Record<string, string | undefined>;

function pick(spec: FlagSpec, flags: FlagValues, env: Environment): { value: string | boolean; source: string } {
  const given = flags[spec.long];
  if (given !== undefined) return { value: given, source: `--${spec.long}` };
  for (const name of spec.env) {
    const fromEnv = env[name];
    if (fromEnv !== undefined) return { value: fromEnv, source: name };
  }
  return { value: spec.defaultValue, source: `--${spec.long}` };
}

/** Nameservers from resolv.conf text, split by family. */
export function nameserversFromResolvConf(text: string): string[] {
  const servers: string[] = [];
  for (const line of text.split('\n')) {
    const match = /^\s*nameserver\s+(\S+)/.exec(line);
    if (match) servers.push(match[1]!.replace(/%.*$/, ''));
  }
  return servers;
}

export function resolveCaptureConfig(flags: FlagValues, env: Environment, machine: MachineFacts = {}): CaptureConfig {
  const specs = new Map(captureFlags.map((spec) => [spec.long, spec]));
  const get = (long: string) => pick(specs.get(long)!, flags, env);
  const text = (long: string) => {
    const { value, source } = get(long);
    return { value: typeof value === 'boolean' ? String(value) : value, source };
  };
  const warnings: string[] = [];

  const port = (long: string) => {
    const { value, source } = text(long);
    return parsePort(source, value);
  };

  const modeInput = text('istio-inbound-interception-mode');
  const mode = modeInput.value.trim().toUpperCase();
  if (mode !== 'REDIRECT' && mode !== 'TPROXY') {
    throw new CaptureConfigError(modeInput.source, modeInput.value, 'interception mode must be REDIRECT or TPROXY');
  }

  const uidInput = text('proxy-uid');
  const proxyUids = parseIdList(uidInput.source, uidInput.value);
  if (proxyUids.length === 0) throw new CaptureConfigError(uidInput.source, uidInput.value, 'at least one proxy uid is required');
  const gidInput = text('proxy-gid');
  // Istio: without an explicit gid, the proxy's gid equals its uid.
  const proxyGids = gidInput.value.trim() === '' ? [...proxyUids] : parseIdList(gidInput.source, gidInput.value);

  const markInput = text('istio-inbound-tproxy-mark');
  const inboundTproxyMark = parseUnsigned(markInput.source, markInput.value);
  if (inboundTproxyMark === 0) throw new CaptureConfigError(markInput.source, markInput.value, 'the TPROXY mark must not be 0');
  const tableInput = text('istio-inbound-tproxy-route-table');
  const inboundTproxyRouteTable = parseUnsigned(tableInput.source, tableInput.value);
  if (inboundTproxyRouteTable === 0 || (inboundTproxyRouteTable >= 253 && inboundTproxyRouteTable <= 255)) {
    throw new CaptureConfigError(tableInput.source, tableInput.value, 'routing tables 0, 253 (default), 254 (main) and 255 (local) are reserved');
  }

  const inInclude = text('istio-inbound-ports');
  const inExclude = text('istio-local-exclude-ports');
  const outRangesInclude = text('istio-service-cidr');
  const outRangesExclude = text('istio-service-exclude-cidr');
  const outPortsInclude = text('istio-outbound-ports');
  const outPortsExclude = text('istio-local-outbound-ports-exclude');
  const excludeIfaces = text('istio-exclude-interfaces');
  const kubeVirt = text('kube-virt-interfaces');

  const bool = (long: string) => {
    const { value, source } = get(long);
    return parseBool(source, value);
  };
  const redirectDnsRequested = bool('redirect-dns');
  const captureAllDns = bool('capture-all-dns');
  const dropInvalid = bool('drop-invalid');

  const ipv6Input = text('ipv6');
  let enableIpv6: boolean;
  if (ipv6Input.value.trim().toLowerCase() === 'auto') enableIpv6 = machine.firstAddressIsIpv6 === true;
  else enableIpv6 = parseBool(ipv6Input.source, ipv6Input.value);

  const dnsInput = text('dns-servers');
  const dnsSource = dnsInput.value.trim() !== '' ? splitList(dnsInput.value) : nameserversFromResolvConf(machine.resolvConf ?? '');
  const dnsServersV4: string[] = [];
  const dnsServersV6: string[] = [];
  for (const server of dnsSource) {
    const canonical = canonicalIp(server);
    if (canonical === undefined) {
      if (dnsInput.value.trim() !== '') throw new CaptureConfigError(dnsInput.source, dnsInput.value, `"${server}" is not an IP address`);
      warnings.push(`ignoring nameserver "${server}" from resolv.conf: not an IP address`);
      continue;
    }
    (canonical.includes(':') ? dnsServersV6 : dnsServersV4).push(canonical);
  }

  let redirectDns = redirectDnsRequested;
  if (redirectDns && !captureAllDns && dnsServersV4.length === 0 && dnsServersV6.length === 0) {
    warnings.push('--redirect-dns is set, but --capture-all-dns is not and no DNS servers are known: DNS capture disabled');
    redirectDns = false;
  }

  const loopbackText = env[captureEnvOnly.loopbackCidr]?.trim() || '127.0.0.1/32';
  const hostIpv4LoopbackCidr = parseCidr(captureEnvOnly.loopbackCidr, loopbackText);
  if (hostIpv4LoopbackCidr.family !== 4 || !isLoopback(hostIpv4LoopbackCidr)) {
    throw new CaptureConfigError(captureEnvOnly.loopbackCidr, loopbackText, 'must be an IPv4 range inside 127.0.0.0/8');
  }

  const groupsIncludeText = env[captureEnvOnly.ownerGroupsInclude] ?? '*';
  const groupsExcludeText = env[captureEnvOnly.ownerGroupsExclude] ?? '';
  const ownerGroupsInclude = parseGroupList(captureEnvOnly.ownerGroupsInclude, groupsIncludeText);
  const ownerGroupsExclude = parseGroupList(captureEnvOnly.ownerGroupsExclude, groupsExcludeText);
  if (ownerGroupsExclude.includes('*')) {
    throw new CaptureConfigError(captureEnvOnly.ownerGroupsExclude, groupsExcludeText, '"*" is not allowed in an exclusion list');
  }
  if (ownerGroupsInclude.includes('*') && ownerGroupsInclude.length > 1) {
    throw new CaptureConfigError(captureEnvOnly.ownerGroupsInclude, groupsIncludeText, '"*" cannot be combined with other groups');
  }

  const outboundRangesInclude = parseRangeList(outRangesInclude.source, outRangesInclude.value, true);
  const outboundRangesExclude = parseRangeList(outRangesExclude.source, outRangesExclude.value, false);

  return {
    proxyPort: port('envoy-port'),
    inboundCapturePort: port('inbound-capture-port'),
    inboundTunnelPort: port('inbound-tunnel-port'),
    proxyUids,
    proxyGids,
    interceptionMode: mode,
    inboundTproxyMark,
    inboundTproxyRouteTable,
    inboundPortsInclude: parsePortsOrAll(inInclude.source, inInclude.value),
    inboundPortsExclude: parsePortList(inExclude.source, inExclude.value),
    outboundRangesInclude,
    outboundRangesExclude,
    outboundPortsInclude: parsePortList(outPortsInclude.source, outPortsInclude.value),
    outboundPortsExclude: parsePortList(outPortsExclude.source, outPortsExclude.value),
    excludeInterfaces: parseInterfaceList(excludeIfaces.source, excludeIfaces.value),
    kubeVirtInterfaces: parseInterfaceList(kubeVirt.source, kubeVirt.value),
    ownerGroupsInclude,
    ownerGroupsExclude,
    hostIpv4LoopbackCidr,
    redirectDns,
    captureAllDns,
    dnsServersV4,
    dnsServersV6,
    dropInvalid,
    enableIpv6,
    warnings,
  };
}
