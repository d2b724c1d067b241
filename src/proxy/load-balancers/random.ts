// RANDOM: a host drawn by weight; no state, so nothing to coordinate.
import { registerLoadBalancer, weightedPick } from './load-balancer.js';
import type { LoadBalancer, LoadBalancerOptions, Random } from './load-balancer.js';
import type { Host } from '../upstream/host.js';

export class RandomLoadBalancer implements LoadBalancer {
  private readonly random: Random;
  constructor(options: LoadBalancerOptions) {
    this.random = options.random;
  }

  choose(hosts: readonly Host[]): Host {
    return weightedPick(hosts, this.random);
  }
}

registerLoadBalancer('RANDOM', (options) => new RandomLoadBalancer(options));
