// Envoy's filter-chain selection as a pure function. Criteria are applied in
// Envoy's order; at each step only the candidates with the most specific
// matching value go on (a chain that leaves a criterion empty matches anything,
// but loses to one that names the value). There is no backtracking: if the most
// specific chains fail a later criterion, the connection matches nothing, as in
// Envoy's tree of per-criterion maps.
import { Cidr, isLoopback, parseIp } from './cidr.js';
import type { IpBytes } from './cidr.js';
import { ConfigError } from './config/errors.js';
import type { FilterChainMatch } from './config/types.js';

/** What is known about a connection when its filter chain is chosen. */
export interface ConnectionMatchInfo {
  /** Destination after original_dst restoration. */
  destinationIp: string;
  destinationPort: number;
  /** Source, possibly from PROXY protocol; here always the peer. */
  sourceIp: string;
  sourcePort: number;
  /** The directly connected peer. */
  directSourceIp: string;
  serverName?: string;
  transportProtocol: string;
  applicationProtocols: readonly string[];
}

export interface CompiledChainMatch {
  destinationPort?: number;
  prefixRanges: Cidr[];
  serverNames: string[];
  transportProtocol: string;
  applicationProtocols: string[];
  directSourcePrefixRanges: Cidr[];
  sourceType: 'ANY' | 'SAME_IP_OR_LOOPBACK' | 'EXTERNAL';
  sourcePrefixRanges: Cidr[];
  sourcePorts: number[];
}

export function compileChainMatch(match: FilterChainMatch | undefined, path: string): CompiledChainMatch {
  const m = match ?? {};
  for (const name of m.server_names ?? []) {
    if (name.includes('*') && !(name.startsWith('*.') && !name.slice(2).includes('*'))) {
      throw new ConfigError(`server name "${name}": only a leading "*." wildcard is allowed`, `${path}.server_names`);
    }
  }
  return {
    destinationPort: m.destination_port || undefined,
    prefixRanges: (m.prefix_ranges ?? []).map((r, i) => Cidr.fromRange(r, `${path}.prefix_ranges[${i}]`)),
    serverNames: (m.server_names ?? []).map((s) => s.toLowerCase()),
    transportProtocol: m.transport_protocol ?? '',
    applicationProtocols: m.application_protocols ?? [],
    directSourcePrefixRanges: (m.direct_source_prefix_ranges ?? []).map((r, i) => Cidr.fromRange(r, `${path}.direct_source_prefix_ranges[${i}]`)),
    sourceType: m.source_type ?? 'ANY',
    sourcePrefixRanges: (m.source_prefix_ranges ?? []).map((r, i) => Cidr.fromRange(r, `${path}.source_prefix_ranges[${i}]`)),
    sourcePorts: m.source_ports ?? [],
  };
}

/** Specificity of one criterion for one chain: -1 no match, 0 wildcard (criterion empty), higher is more specific. */
type Criterion = (chain: CompiledChainMatch, conn: PreparedConnection) => number;

interface PreparedConnection {
  info: ConnectionMatchInfo;
  destination: IpBytes | undefined;
  source: IpBytes | undefined;
  directSource: IpBytes | undefined;
}

function longestPrefix(ranges: readonly Cidr[], ip: IpBytes | undefined): number {
  if (ranges.length === 0) return 0;
  let best = -1;
  if (!ip) return best;
  for (const r of ranges) if (r.prefixLen + 1 > best && r.contains(ip)) best = r.prefixLen + 1;
  return best;
}

function serverNameScore(names: readonly string[], serverName: string | undefined): number {
  if (names.length === 0) return 0;
  if (!serverName) return -1;
  const sni = serverName.toLowerCase();
  let best = -1;
  for (const name of names) {
    if (name === sni) return Number.MAX_SAFE_INTEGER;
    // "*.example.com" matches "a.example.com" and "a.b.example.com"; longer suffixes are more specific.
    if (name.startsWith('*.') && sni.endsWith(name.slice(1)) && name.length > best) best = name.length;
  }
  return best;
}

/** Envoy's order of filter-chain match criteria. */
const criteria: readonly Criterion[] = [
  (c, conn) => (c.destinationPort === undefined ? 0 : c.destinationPort === conn.info.destinationPort ? 1 : -1),
  (c, conn) => longestPrefix(c.prefixRanges, conn.destination),
  (c, conn) => serverNameScore(c.serverNames, conn.info.serverName),
  (c, conn) => (c.transportProtocol === '' ? 0 : c.transportProtocol === conn.info.transportProtocol ? 1 : -1),
  (c, conn) => (c.applicationProtocols.length === 0 ? 0 : c.applicationProtocols.some((p) => conn.info.applicationProtocols.includes(p)) ? 1 : -1),
  (c, conn) => longestPrefix(c.directSourcePrefixRanges, conn.directSource),
  (c, conn) => {
    if (c.sourceType === 'ANY') return 0;
    const local = conn.source !== undefined && (isLoopback(conn.source) || unmapped(conn.info.sourceIp) === unmapped(conn.info.destinationIp));
    return (c.sourceType === 'SAME_IP_OR_LOOPBACK') === local ? 1 : -1;
  },
  (c, conn) => longestPrefix(c.sourcePrefixRanges, conn.source),
  (c, conn) => (c.sourcePorts.length === 0 ? 0 : c.sourcePorts.includes(conn.info.sourcePort) ? 1 : -1),
];

function unmapped(ip: string): string {
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

/** The index of the chain a connection uses, or -1 (then the default_filter_chain, if any). */
export function selectFilterChain(chains: readonly CompiledChainMatch[], info: ConnectionMatchInfo): number {
  const conn: PreparedConnection = {
    info,
    destination: parseIp(info.destinationIp),
    source: parseIp(info.sourceIp),
    directSource: parseIp(info.directSourceIp),
  };
  let candidates = chains.map((_c, i) => i);
  for (const criterion of criteria) {
    let best = -1;
    let kept: number[] = [];
    for (const i of candidates) {
      const score = criterion(chains[i]!, conn);
      if (score > best) {
        best = score;
        kept = [i];
      } else if (score === best && score >= 0) kept.push(i);
    }
    if (best < 0) return -1;
    candidates = kept;
  }
  return candidates[0] ?? -1;
}

/** Envoy rejects listeners whose chains have identical matches: the choice between them would be arbitrary. */
export function checkDistinctMatches(matches: readonly (FilterChainMatch | undefined)[], path: string): void {
  const seen = new Map<string, number>();
  matches.forEach((m, i) => {
    const key = canonicalMatchKey(m ?? {});
    const first = seen.get(key);
    if (first !== undefined) {
      throw new ConfigError(`filter_chains[${first}] and filter_chains[${i}] have the same filter_chain_match; each chain must match something different`, path);
    }
    seen.set(key, i);
  });
}

function canonicalMatchKey(m: FilterChainMatch): string {
  const sorted = (xs: readonly (string | number)[] | undefined) => [...(xs ?? [])].map(String).sort();
  const cidrs = (xs: FilterChainMatch['prefix_ranges']) => sorted((xs ?? []).map((r) => `${r.address_prefix}/${r.prefix_len ?? ''}`));
  return JSON.stringify([
    m.destination_port ?? 0, cidrs(m.prefix_ranges), sorted(m.server_names), m.transport_protocol ?? '', sorted(m.application_protocols),
    cidrs(m.direct_source_prefix_ranges), m.source_type ?? 'ANY', cidrs(m.source_prefix_ranges), sorted(m.source_ports),
  ]);
}
