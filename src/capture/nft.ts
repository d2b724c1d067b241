// The nftables backend (--native-nftables): the same policy as the iptables rules,
// translated rule by rule into one `inet` table per hook family, applied with
// `nft -f` as a single transaction that deletes and rebuilds the tables.
import { CAPTURE_TABLES } from './constants.js';
import { finalChains } from './rule-builder.js';
import type { Rule, RuleSet } from './rule-builder.js';

export const NFT_TABLE_PREFIX = 'istio-proxy-';

export function nftTableName(table: string): string {
  return `${NFT_TABLE_PREFIX}${table}`;
}

/** ISTIO_IN_REDIRECT → istio-in-redirect; PREROUTING → prerouting. */
export function nftChainName(chain: string): string {
  return chain.toLowerCase().replace(/_/g, '-');
}

/** Hook and priority of the base chain standing in for an iptables built-in chain. */
const baseChains: Record<string, Record<string, string>> = {
  nat: {
    PREROUTING: 'type nat hook prerouting priority dstnat; policy accept;',
    OUTPUT: 'type nat hook output priority -100; policy accept;',
  },
  // A route-type output chain reroutes packets whose mark changed, as iptables' mangle OUTPUT does.
  mangle: {
    PREROUTING: 'type filter hook prerouting priority mangle; policy accept;',
    OUTPUT: 'type route hook output priority mangle; policy accept;',
  },
  raw: {
    PREROUTING: 'type filter hook prerouting priority raw; policy accept;',
    OUTPUT: 'type filter hook output priority raw; policy accept;',
  },
};

export class NftTranslationError extends Error {}

function port(value: string): string {
  return value.replace(':', '-');
}

function addressFamily(address: string): 'ip' | 'ip6' {
  return address.includes(':') ? 'ip6' : 'ip';
}

/** Translates one rule's iptables arguments into an nft rule body. */
export function translateRule(params: readonly string[], family: 4 | 6): string {
  const out: string[] = [];
  let protocol: string | undefined;
  let protocolUsed = false;
  let module = '';
  let negate = false;
  const take = (i: number): string => {
    const value = params[i];
    if (value === undefined) throw new NftTranslationError(`missing value after ${params[i - 1]} in "${params.join(' ')}"`);
    return value;
  };
  let verdict: string[] = [];
  for (let i = 0; i < params.length; i++) {
    const token = params[i]!;
    if (token === '!') {
      negate = true;
      continue;
    }
    const not = negate ? '!= ' : '';
    negate = false;
    switch (token) {
      case '-p':
        protocol = take(++i);
        module = protocol;
        break;
      case '-m':
        module = take(++i);
        break;
      case '-s':
      case '-d': {
        const address = take(++i);
        out.push(`${addressFamily(address)} ${token === '-s' ? 'saddr' : 'daddr'} ${not}${address}`);
        break;
      }
      case '-i':
        out.push(`iifname ${not}"${take(++i)}"`);
        break;
      case '-o':
        out.push(`oifname ${not}"${take(++i)}"`);
        break;
      case '--dport':
      case '--sport':
        if (!protocol) throw new NftTranslationError(`${token} without -p in "${params.join(' ')}"`);
        out.push(`${protocol} ${token.slice(2)} ${not}${port(take(++i))}`);
        protocolUsed = true;
        break;
      case '--uid-owner':
        out.push(`meta skuid ${not}${take(++i)}`);
        break;
      case '--gid-owner':
        out.push(`meta skgid ${not}${take(++i)}`);
        break;
      case '--ctstate': {
        const states = take(++i).toLowerCase().split(',');
        out.push(`ct state ${not}${states.length === 1 ? states[0] : `{ ${states.join(', ')} }`}`);
        break;
      }
      case '--mark':
        out.push(`${module === 'connmark' ? 'ct mark' : 'meta mark'} ${not}${take(++i)}`);
        break;
      case '-j':
        verdict = translateTarget(params.slice(i + 1), family, params);
        i = params.length;
        break;
      default:
        throw new NftTranslationError(`no nftables translation for "${token}" in "${params.join(' ')}"`);
    }
  }
  if (protocol && !protocolUsed) out.unshift(`meta l4proto ${protocol}`);
  return [...out, ...verdict].join(' ');
}

function translateTarget(args: readonly string[], family: 4 | 6, whole: readonly string[]): string[] {
  const [target, ...options] = args;
  const option = (name: string): string | undefined => {
    const at = options.indexOf(name);
    return at >= 0 ? options[at + 1] : undefined;
  };
  switch (target) {
    case 'RETURN':
      return ['return'];
    case 'ACCEPT':
      return ['accept'];
    case 'DROP':
      return ['drop'];
    case 'REDIRECT':
      return [`redirect to :${option('--to-ports')}`];
    case 'TPROXY': {
      const mark = (option('--tproxy-mark') ?? '').split('/')[0];
      // iptables' TPROXY is a terminating target; nft's tproxy statement is not, so
      // the verdict is explicit. Without it the packet would go on to the CONNMARK
      // save rule and its replies would be routed back into lo.
      return [`meta mark set ${mark}`, `tproxy ${family === 6 ? 'ip6' : 'ip'} to :${option('--on-port')}`, 'accept'];
    }
    case 'MARK':
      return [`meta mark set ${option('--set-mark')}`];
    case 'CONNMARK':
      if (options.includes('--save-mark')) return ['ct mark set meta mark'];
      if (options.includes('--restore-mark')) return ['meta mark set ct mark'];
      break;
    case 'CT':
      return [`ct zone set ${option('--zone')}`];
    default:
      if (target?.startsWith('ISTIO_')) return [`jump ${nftChainName(target)}`];
  }
  throw new NftTranslationError(`no nftables translation for target "${args.join(' ')}" in "${whole.join(' ')}"`);
}

/** Whether a rule body already restricts itself to one family (ip/ip6 matches or tproxy ip). */
function familySpecific(body: string): boolean {
  return /(^|\s)(ip|ip6) (saddr|daddr|to)\s/.test(body) || /tproxy (ip|ip6) /.test(body);
}

/**
 * Merges a chain's IPv4 and IPv6 rules into one inet chain. Rules the two
 * families share appear once; the others keep their place within their own
 * family and are limited to it. Order only matters within a family, since a
 * packet is of one family, so a longest-common-subsequence merge is exact.
 */
export function mergeFamilies(v4: readonly string[], v6: readonly string[]): string[] {
  const n = v4.length;
  const m = v6.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = v4[i] === v6[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const only = (body: string, proto: 'ipv4' | 'ipv6') => (familySpecific(body) ? body : `meta nfproto ${proto} ${body}`);
  const merged: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && v4[i] === v6[j]) {
      merged.push(v4[i]!);
      i++;
      j++;
    } else if (j >= m || (i < n && lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      merged.push(only(v4[i++]!, 'ipv4'));
    } else {
      merged.push(only(v6[j++]!, 'ipv6'));
    }
  }
  return merged;
}

function chainBodies(rules: readonly Rule[], family: 4 | 6): Map<string, string[]> {
  const bodies = new Map<string, string[]>();
  for (const [key, list] of finalChains(rules)) bodies.set(key, list.map((r) => translateRule(r.params, family)));
  return bodies;
}

/**
 * The nft script for a rule set. Each table is created (if missing), deleted and
 * declared anew within one `nft -f` transaction: flush-and-rebuild, atomically.
 * IPv6 rules are included only when `ipv6` is true.
 */
export function renderNft(ruleSet: RuleSet, ipv6: boolean): string {
  const v4 = chainBodies(ruleSet.v4, 4);
  const v6 = ipv6 ? chainBodies(ruleSet.v6, 6) : new Map<string, string[]>();
  const keys = [...new Set([...v4.keys(), ...v6.keys()])];
  const out: string[] = [];
  for (const table of CAPTURE_TABLES) {
    const chains = keys.filter((k) => k.startsWith(`${table}:`));
    const name = nftTableName(table);
    out.push(`add table inet ${name}`, `delete table inet ${name}`);
    if (chains.length === 0) continue;
    out.push(`table inet ${name} {`);
    // Base chains first, then regular chains, each in order of first use.
    const ordered = [...chains.filter((k) => baseChains[table]![k.split(':')[1]!]), ...chains.filter((k) => !baseChains[table]![k.split(':')[1]!])];
    const declared = new Set<string>();
    for (const key of ordered) {
      const chain = key.split(':')[1]!;
      declared.add(nftChainName(chain));
      out.push(`\tchain ${nftChainName(chain)} {`);
      const base = baseChains[table]![chain];
      if (base) out.push(`\t\t${base}`);
      for (const body of mergeFamilies(v4.get(key) ?? [], v6.get(key) ?? [])) out.push(`\t\t${body}`);
      out.push('\t}');
    }
    // A chain that is only jumped to (its rules were all for the other family) must still exist.
    const jumpedTo = new Set(chains.flatMap((k) => [...(v4.get(k) ?? []), ...(v6.get(k) ?? [])]).flatMap((body) => [...body.matchAll(/jump (\S+)/g)].map((m) => m[1]!)));
    for (const target of jumpedTo) if (!declared.has(target)) out.push(`\tchain ${target} {`, '\t}');
    out.push('}');
  }
  return `${out.join('\n')}\n`;
}

/** Removes Outrigger's tables, whether or not they exist, in one transaction. */
export function renderNftCleanup(): string {
  return `${CAPTURE_TABLES.flatMap((t) => [`add table inet ${nftTableName(t)}`, `delete table inet ${nftTableName(t)}`]).join('\n')}\n`;
}
