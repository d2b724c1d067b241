// Address ranges of a local cluster: pods take addresses from the pod CIDR (the
// node's bridge holds the first), Services take virtual IPs from the service CIDR.
// Pure IPv4 arithmetic; the machine's own addresses are passed in by the caller.

export interface Cidr {
  /** The network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
  text: string;
}

export class IpamError extends Error {}

export function ipToNumber(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new IpamError(`"${ip}" is not an IPv4 address`);
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function numberToIp(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

export function parseCidr(text: string): Cidr {
  const [ip, prefixText, extra] = text.split('/');
  const prefix = Number(prefixText);
  if (ip === undefined || prefixText === undefined || extra !== undefined || !/^\d{1,2}$/.test(prefixText) || prefix > 32) {
    throw new IpamError(`"${text}" is not an IPv4 CIDR such as 10.244.0.0/16`);
  }
  const size = 2 ** (32 - prefix);
  const base = Math.floor(ipToNumber(ip) / size) * size;
  return { base, prefix, text: `${numberToIp(base)}/${prefix}` };
}

export function cidrSize(cidr: Cidr): number {
  return 2 ** (32 - cidr.prefix);
}

export function cidrContains(cidr: Cidr, ip: string): boolean {
  const value = ipToNumber(ip);
  return value >= cidr.base && value < cidr.base + cidrSize(cidr);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + cidrSize(b) && b.base < a.base + cidrSize(a);
}

/**
 * Hands out host addresses of a range in order, skipping the network and broadcast
 * addresses and any that are reserved (a gateway, addresses fixed in manifests).
 */
export class Allocator {
  private next: number;
  private readonly taken = new Set<number>();

  constructor(
    readonly cidr: Cidr,
    private readonly what: string,
    firstOffset = 1,
  ) {
    this.next = cidr.base + firstOffset;
    this.first = this.next;
  }

  private readonly first: number;

  /**
   * Hands out addresses after this one first, wrapping round to the start of the
   * range, as kube's host-local IPAM does: an address just freed is not reused at
   * once, so a peer's ARP entry for the old holder cannot swallow the new one's traffic.
   */
  continueAfter(ip: string): void {
    if (!cidrContains(this.cidr, ip)) return;
    this.next = Math.max(ipToNumber(ip) + 1, this.first);
  }

  reserve(ip: string): void {
    if (!cidrContains(this.cidr, ip)) throw new IpamError(`${ip} is outside the ${this.what} range ${this.cidr.text}`);
    const value = ipToNumber(ip);
    if (this.taken.has(value)) throw new IpamError(`${ip} is already allocated in the ${this.what} range ${this.cidr.text}`);
    this.taken.add(value);
  }

  allocate(): string {
    const last = this.cidr.base + cidrSize(this.cidr) - 2;
    const start = this.next;
    let wrapped = false;
    for (;;) {
      if (this.next > last) {
        if (wrapped || start <= this.first) throw new IpamError(`the ${this.what} range ${this.cidr.text} is exhausted`);
        wrapped = true;
        this.next = this.first;
      }
      if (wrapped && this.next >= start) throw new IpamError(`the ${this.what} range ${this.cidr.text} is exhausted`);
      if (!this.taken.has(this.next)) break;
      this.next++;
    }
    this.taken.add(this.next);
    return numberToIp(this.next++);
  }
}

/** An address or route of the machine, as `ip -j addr` / `ip -j route` report them. */
export interface HostRange {
  /** "10.0.0.5/24" or "default". */
  cidr: string;
  /** Where it was seen, for the message: "address of eth0", "route via 192.0.2.1". */
  where: string;
}

/** Why the ranges cannot be used on this machine, one line per conflict; [] when they can. */
export function rangeConflicts(ranges: readonly { name: string; cidr: Cidr }[], host: readonly HostRange[]): string[] {
  const problems: string[] = [];
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const a = ranges[i]!;
      const b = ranges[j]!;
      if (cidrsOverlap(a.cidr, b.cidr)) problems.push(`the ${a.name} range ${a.cidr.text} overlaps the ${b.name} range ${b.cidr.text}`);
    }
  }
  for (const range of ranges) {
    for (const used of host) {
      // A default route covers everything; it is what every machine has, not a conflict.
      if (used.cidr === 'default' || used.cidr === '0.0.0.0/0') continue;
      let cidr: Cidr;
      try {
        cidr = parseCidr(used.cidr.includes('/') ? used.cidr : `${used.cidr}/32`);
      } catch {
        continue;
      }
      if (cidrsOverlap(range.cidr, cidr)) problems.push(`the ${range.name} range ${range.cidr.text} is already in use on this machine (${used.cidr}, ${used.where}); choose another with --${range.name}-cidr`);
    }
  }
  return problems;
}
