// LEAST_REQUEST: the power of N random choices (choice_count, default 2) picks
// the candidate with the fewest active requests. With unequal weights the
// candidates are drawn by weight, so heavier hosts are considered more often.
import { allWeightsEqual, registerLoadBalancer, weightedPick } from './load-balancer.js';
import type { LoadBalancer, LoadBalancerOptions, Random } from './load-balancer.js';
import type { Host } from '../upstream/host.js';

export class LeastRequestLoadBalancer implements LoadBalancer {
  private readonly random: Random;
  private readonly choiceCount: number;

  constructor(options: LoadBalancerOptions) {
    this.random = options.random;
    this.choiceCount = Math.max(options.choiceCount ?? 2, 2);
  }

  choose(hosts: readonly Host[]): Host {
    const equal = allWeightsEqual(hosts);
    let best: Host | undefined;
    for (let i = 0; i < this.choiceCount; i++) {
      const candidate = equal ? hosts[Math.floor(this.random() * hosts.length)]! : weightedPick(hosts, this.random);
      if (!best || candidate.activeRequests < best.activeRequests) best = candidate;
    }
    return best!;
  }
}

registerLoadBalancer('LEAST_REQUEST', (options) => new LeastRequestLoadBalancer(options));
