// ROUND_ROBIN: equal weights rotate in order; unequal weights use smooth
// weighted round robin, which spreads a heavy host's turns out instead of
// sending it bursts (the property Envoy's EDF scheduler also has).
import { allWeightsEqual, registerLoadBalancer } from './load-balancer.js';
import type { LoadBalancer, LoadBalancerOptions } from './load-balancer.js';
import type { Host } from '../upstream/host.js';

export class RoundRobinLoadBalancer implements LoadBalancer {
  private next: number;
  private readonly current = new Map<Host, number>();

  constructor(options: LoadBalancerOptions) {
    // Envoy starts each worker at a random offset so that proxies do not all hit the first host together.
    this.next = Math.floor(options.random() * 1_000_000);
  }

  choose(hosts: readonly Host[]): Host {
    if (allWeightsEqual(hosts)) return hosts[this.next++ % hosts.length]!;
    let total = 0;
    let best: Host = hosts[0]!;
    let bestValue = -Infinity;
    for (const h of hosts) {
      const value = (this.current.get(h) ?? 0) + h.weight;
      this.current.set(h, value);
      total += h.weight;
      if (value > bestValue) {
        bestValue = value;
        best = h;
      }
    }
    this.current.set(best, bestValue - total);
    return best;
  }
}

registerLoadBalancer('ROUND_ROBIN', (options) => new RoundRobinLoadBalancer(options));
