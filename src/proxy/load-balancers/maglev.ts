// MAGLEV: consistent hashing through a lookup table (Google's Maglev paper, as
// Envoy implements it). The table has a prime number of slots
// (maglev_lb_config.table_size, default 65537); every host walks its own
// permutation of the slots — a start (offset) and a stride (skip) from two
// hashes of its address — and the hosts take turns claiming the next free slot
// of their permutation until the table is full. A request's hash picks a slot.
// Because each host's preferences do not depend on the other hosts, removing one
// hands its slots to the others and leaves most other slots where they were.
// Lookups are O(1), unlike RING_HASH's binary search; the price is the build.
import { ConfigError } from '../config/errors.js';
import { hashString } from './hash.js';
import { registerLoadBalancer } from './load-balancer.js';
import type { LoadBalancer, LoadBalancerContext, LoadBalancerOptions, Random } from './load-balancer.js';
import type { Host } from '../upstream/host.js';

/** Envoy's default table size. */
export const DEFAULT_MAGLEV_TABLE_SIZE = 65537;
/** The proto's bound on table_size. */
export const MAX_MAGLEV_TABLE_SIZE = 5000011;

export interface MaglevTable {
  hosts: readonly Host[];
  /** Slot → index into hosts. */
  slots: Uint32Array;
}

export function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

/**
 * Fills a table of `size` slots (prime) from `hosts` (non-empty). Weights are honoured by how
 * often a host gets a turn: the heaviest host claims a slot every round, a host of a third of
 * that weight every third round, so each ends up with slots in proportion to its weight.
 */
export function buildMaglevTable(hosts: readonly Host[], size: number): MaglevTable {
  const slots = new Uint32Array(size);
  const taken = new Uint8Array(size);
  let maxWeight = 0;
  for (const h of hosts) maxWeight = Math.max(maxWeight, h.weight);
  const walkers = hosts.map((host) => {
    // Envoy hashes the host's address ("10.0.0.1:80"); so do we, with our own hash function.
    const offset = hashString(host.key, 0) % size;
    // A stride in 1..size-1 is coprime with a prime size, so the walk visits every slot.
    const skip = (hashString(host.key, 1) % (size - 1)) + 1;
    return { slot: offset, skip, weight: host.weight, due: 0 };
  });
  let filled = 0;
  for (let round = 1; filled < size; round++) {
    for (let i = 0; i < walkers.length && filled < size; i++) {
      const w = walkers[i]!;
      if (round * w.weight < w.due) continue;
      w.due += maxWeight;
      // The next slot of this host's permutation nobody has claimed yet.
      while (taken[w.slot]) w.slot = (w.slot + w.skip) % size;
      taken[w.slot] = 1;
      slots[w.slot] = i;
      w.slot = (w.slot + w.skip) % size;
      filled++;
    }
  }
  return { hosts: [...hosts], slots };
}

export class MaglevLoadBalancer implements LoadBalancer {
  private readonly random: Random;
  private readonly tableSize: number;
  /**
   * The last two tables built, most recent first: the cluster's host set, and the narrower set a
   * retry sees once it excludes the hosts already tried, so that retries do not rebuild the
   * table the next request needs. A changed host set (endpoints, health) builds a new one.
   */
  private tables: MaglevTable[] = [];

  constructor(options: LoadBalancerOptions) {
    this.random = options.random;
    const size = options.maglevTableSize ?? DEFAULT_MAGLEV_TABLE_SIZE;
    const where = options.path !== undefined ? `${options.path}.maglev_lb_config.table_size` : 'maglev_lb_config.table_size';
    if (size > MAX_MAGLEV_TABLE_SIZE) throw new ConfigError(`${size} is over the maximum ${MAX_MAGLEV_TABLE_SIZE}`, where);
    if (!isPrime(size)) throw new ConfigError(`${size} is not a prime number (Maglev needs a prime table size)`, where);
    this.tableSize = size;
  }

  choose(hosts: readonly Host[], context?: LoadBalancerContext): Host {
    const table = this.tableFor(hosts);
    // Without a hash (no hash_policy, or none of its inputs present) Envoy draws a random one,
    // which still follows the weights because the table does.
    const slot = context?.hash === undefined ? Math.floor(this.random() * this.tableSize) : (context.hash >>> 0) % this.tableSize;
    return table.hosts[table.slots[slot]!]!;
  }

  private tableFor(hosts: readonly Host[]): MaglevTable {
    const index = this.tables.findIndex((t) => sameHosts(t.hosts, hosts));
    if (index === 0) return this.tables[0]!;
    const table = index > 0 ? this.tables[index]! : buildMaglevTable(hosts, this.tableSize);
    this.tables = [table, ...this.tables.filter((t) => t !== table)].slice(0, 2);
    return table;
  }
}

function sameHosts(a: readonly Host[], b: readonly Host[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

registerLoadBalancer('MAGLEV', (options) => new MaglevLoadBalancer(options));
