// IP addresses and CIDR ranges, parsed and normalised without a dependency:
// iptables stores a range with its host bits cleared, so we do the same to
// compare what we asked for with what iptables-save reports.
import net from 'node:net';
import { CaptureConfigError, splitList } from './parse.js';

export interface Cidr {
  family: 4 | 6;
  /** Network address with host bits cleared, in canonical text form. */
  address: string;
  prefix: number;
}

export function formatCidr(cidr: Cidr): string {
  return `${cidr.address}/${cidr.prefix}`;
}

function ipv4ToBigInt(address: string): bigint {
  return address.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

function bigIntToIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

function expandIpv6(address: string): number[] {
  let text = address;
  let tail: number[] = [];
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = ipv4ToBigInt(v4[1]!);
    tail = [Number(n >> 16n), Number(n & 0xffffn)];
    text = text.slice(0, -v4[1]!.length).replace(/:$/, ':0');
    text = text.endsWith('::0') ? text.slice(0, -1) : text;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':').map((g) => Number.parseInt(g, 16));
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':').map((g) => Number.parseInt(g, 16));
  const groups = [...headGroups, ...restGroups, ...tail];
  if (rest !== undefined) {
    const fill = 8 - groups.length;
    return [...headGroups, ...new Array<number>(fill).fill(0), ...restGroups, ...tail];
  }
  return groups;
}

function ipv6ToBigInt(address: string): bigint {
  return expandIpv6(address).reduce((acc, group) => (acc << 16n) | BigInt(group), 0n);
}

/** RFC 5952 text form: lowercase, longest zero run compressed. */
function bigIntToIpv6(value: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i > 1) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLength).join(':');
  return `${left}::${right}`;
}

/** Canonical text of an address ("::0001" → "::1"), or undefined when it is not an IP. */
export function canonicalIp(address: string): string | undefined {
  const family = net.isIP(address);
  if (family === 4) return bigIntToIpv4(ipv4ToBigInt(address));
  if (family === 6) return bigIntToIpv6(ipv6ToBigInt(address));
  return undefined;
}

/** Parses "10.0.0.0/8", "fd00::/64" or a bare address (a /32 or /128). */
export function parseCidr(flag: string, text: string): Cidr {
  const value = text.trim();
  const [address = '', prefixText, extra] = value.split('/');
  if (extra !== undefined) throw new CaptureConfigError(flag, text, 'not a CIDR range');
  const family = net.isIP(address);
  if (family === 0) throw new CaptureConfigError(flag, text, `"${address}" is not an IP address`);
  const bits = family === 4 ? 32 : 128;
  let prefix = bits;
  if (prefixText !== undefined) {
    if (!/^\d+$/.test(prefixText) || Number(prefixText) > bits) {
      throw new CaptureConfigError(flag, text, `prefix length must be 0-${bits}`);
    }
    prefix = Number(prefixText);
  }
  const hostBits = BigInt(bits - prefix);
  if (family === 4) {
    const network = (ipv4ToBigInt(address) >> hostBits) << hostBits;
    return { family: 4, address: bigIntToIpv4(network), prefix };
  }
  const network = (ipv6ToBigInt(address) >> hostBits) << hostBits;
  return { family: 6, address: bigIntToIpv6(network), prefix };
}

/** Whether a range lies inside 127.0.0.0/8 or is ::1. */
export function isLoopback(cidr: Cidr): boolean {
  if (cidr.family === 4) return cidr.prefix >= 8 && cidr.address.startsWith('127.');
  return cidr.prefix === 128 && cidr.address === '::1';
}

/** Istio's NetworkRange: a list split by family, or the wildcard. */
export interface NetworkRange {
  isWildcard: boolean;
  cidrs: Cidr[];
  hasLoopback: boolean;
}

export function parseRangeList(flag: string, value: string, allowWildcard: boolean): { v4: NetworkRange; v6: NetworkRange } {
  const items = splitList(value);
  if (items.includes('*')) {
    if (!allowWildcard) throw new CaptureConfigError(flag, value, '"*" is not allowed in an exclusion list');
    if (items.length > 1) throw new CaptureConfigError(flag, value, '"*" cannot be combined with other ranges');
    const all: NetworkRange = { isWildcard: true, cidrs: [], hasLoopback: false };
    return { v4: all, v6: { ...all } };
  }
  const cidrs = items.map((item) => parseCidr(flag, item));
  const make = (family: 4 | 6): NetworkRange => {
    const own = cidrs.filter((c) => c.family === family);
    return { isWildcard: false, cidrs: own, hasLoopback: own.some(isLoopback) };
  };
  return { v4: make(4), v6: make(6) };
}
