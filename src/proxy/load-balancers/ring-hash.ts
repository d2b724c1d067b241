// RING_HASH: consistent hashing. Each host takes a share of a ring of
// minimum_ring_size (1024) .. maximum_ring_size (8M) points proportional to its
// weight; a request's hash picks the next point clockwise. Adding or removing a
// host moves only the keys near its points. Without a hash the pick is random.
import { hashString } from './hash.js';
import { registerLoadBalancer } from './load-balancer.js';
import type { LoadBalancer, LoadBalancerContext, LoadBalancerOptions, Random } from './load-balancer.js';
import type { Host } from '../upstream/host.js';

interface Ring {
  hosts: readonly Host[];
  points: Uint32Array;
  owners: Host[];
}

export class RingHashLoadBalancer implements LoadBalancer {
  private ring: Ring | undefined;
  private readonly random: Random;
  private readonly minSize: number;
  private readonly maxSize: number;

  constructor(options: LoadBalancerOptions) {
    this.random = options.random;
    this.minSize = options.minimumRingSize ?? 1024;
    this.maxSize = Math.max(options.maximumRingSize ?? 8 * 1024 * 1024, this.minSize);
  }

  choose(hosts: readonly Host[], context?: LoadBalancerContext): Host {
    if (context?.hash === undefined) return hosts[Math.floor(this.random() * hosts.length)]!;
    const ring = this.ringFor(hosts);
    const hash = context.hash >>> 0;
    // First point at or after the hash, wrapping around.
    let lo = 0;
    let hi = ring.points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ring.points[mid]! < hash) lo = mid + 1;
      else hi = mid;
    }
    return ring.owners[lo === ring.points.length ? 0 : lo]!;
  }

  /** The ring is rebuilt only when the host list changes. */
  private ringFor(hosts: readonly Host[]): Ring {
    const cached = this.ring;
    if (cached && cached.hosts.length === hosts.length && cached.hosts.every((h, i) => h === hosts[i])) return cached;
    const totalWeight = hosts.reduce((sum, h) => sum + h.weight, 0);
    const minWeight = Math.min(...hosts.map((h) => h.weight));
    // Enough points that the lightest host gets at least one, within the configured bounds.
    const size = Math.min(Math.max(Math.ceil((totalWeight / minWeight) * 1), this.minSize), this.maxSize);
    const entries: { point: number; host: Host }[] = [];
    for (const host of hosts) {
      const count = Math.max(1, Math.round((size * host.weight) / totalWeight));
      for (let i = 0; i < count; i++) entries.push({ point: hashString(`${host.key}_${i}`), host });
    }
    entries.sort((a, b) => a.point - b.point);
    const ring: Ring = { hosts: [...hosts], points: Uint32Array.from(entries.map((e) => e.point)), owners: entries.map((e) => e.host) };
    this.ring = ring;
    return ring;
  }
}

registerLoadBalancer('RING_HASH', (options) => new RingHashLoadBalancer(options));
