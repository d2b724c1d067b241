// IP addresses and CIDR ranges as bytes, for filter-chain matching. IPv4-mapped
// IPv6 addresses (what a dual-stack socket reports for IPv4 peers) count as IPv4.
import net from 'node:net';
import { ConfigError } from './config/errors.js';

export interface IpBytes {
  family: 4 | 6;
  bytes: Uint8Array;
}

/** "::ffff:10.0.0.1" → "10.0.0.1"; anything else unchanged. */
export function unmapIpv4(address: string): string {
  return address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}

export function parseIp(text: string): IpBytes | undefined {
  const address = unmapIpv4(text);
  if (net.isIPv4(address)) return { family: 4, bytes: Uint8Array.from(address.split('.').map(Number)) };
  if (!net.isIPv6(address)) return undefined;
  const [head = '', tail] = address.split('::') as [string, string | undefined];
  const groups = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const v4 = g.split('.').map(Number);
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  });
  return { family: 6, bytes };
}

export class Cidr {
  private constructor(
    readonly family: 4 | 6,
    private readonly bytes: Uint8Array,
    readonly prefixLen: number,
    readonly text: string,
  ) {}

  /** From Envoy's CidrRange { address_prefix, prefix_len }. */
  static fromRange(range: { address_prefix: string; prefix_len?: number }, path: string): Cidr {
    const ip = parseIp(range.address_prefix);
    if (!ip) throw new ConfigError(`"${range.address_prefix}" is not an IP address`, `${path}.address_prefix`);
    const max = ip.family === 4 ? 32 : 128;
    const len = range.prefix_len ?? max;
    if (len > max) throw new ConfigError(`prefix_len ${len} is longer than ${max}`, `${path}.prefix_len`);
    return new Cidr(ip.family, ip.bytes, len, `${range.address_prefix}/${len}`);
  }

  contains(ip: IpBytes): boolean {
    if (ip.family !== this.family) return false;
    let bits = this.prefixLen;
    for (let i = 0; bits > 0; i++, bits -= 8) {
      const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
      if (((ip.bytes[i] ?? 0) & mask) !== ((this.bytes[i] ?? 0) & mask)) return false;
    }
    return true;
  }
}

export function isLoopback(ip: IpBytes): boolean {
  if (ip.family === 4) return ip.bytes[0] === 127;
  return ip.bytes.every((b, i) => (i === 15 ? b === 1 : b === 0));
}
