// The load-balancer interface and its registry, keyed by Envoy's lb_policy
// names. A balancer is a pure decision over a host list plus a random source,
// so tests can seed it.
import type { Host } from '../upstream/host.js';

export type Random = () => number;

/** Per-request input a balancer may use. */
export interface LoadBalancerContext {
  /** From the route's (or tcp_proxy's) hash_policy; consistent-hash balancers use it. */
  hash?: number;
}

export interface LoadBalancer {
  /** Picks a host from a non-empty list (already narrowed to one priority and to healthy hosts). */
  choose(hosts: readonly Host[], context?: LoadBalancerContext): Host;
}

export interface LoadBalancerOptions {
  random: Random;
  /** LEAST_REQUEST's choice_count (Envoy default 2). */
  choiceCount?: number;
  /** RING_HASH's ring bounds. */
  minimumRingSize?: number;
  maximumRingSize?: number;
  /** MAGLEV's lookup-table size (a prime; Envoy default 65537). */
  maglevTableSize?: number;
  /** Where the cluster is in the config, for errors that name a field. */
  path?: string;
}

export type LoadBalancerFactory = (options: LoadBalancerOptions) => LoadBalancer;

const registry = new Map<string, LoadBalancerFactory>();

export function registerLoadBalancer(policy: string, factory: LoadBalancerFactory): void {
  registry.set(policy, factory);
}

export function loadBalancerFactory(policy: string): LoadBalancerFactory | undefined {
  return registry.get(policy);
}

export function registeredLoadBalancers(): string[] {
  return [...registry.keys()];
}

/** A small seeded PRNG (mulberry32) for deterministic tests; production uses Math.random. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function allWeightsEqual(hosts: readonly Host[]): boolean {
  const first = hosts[0]!.weight;
  for (const h of hosts) if (h.weight !== first) return false;
  return true;
}

/** A host drawn with probability proportional to its weight. */
export function weightedPick(hosts: readonly Host[], random: Random): Host {
  let total = 0;
  for (const h of hosts) total += h.weight;
  let point = random() * total;
  for (const h of hosts) {
    point -= h.weight;
    if (point < 0) return h;
  }
  return hosts[hosts.length - 1]!;
}
