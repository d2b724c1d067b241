// Importing this module registers every built-in load balancer.
import './round-robin.js';
import './least-request.js';
import './random.js';
import './ring-hash.js';
import './maglev.js';

export * from './load-balancer.js';
export { RoundRobinLoadBalancer } from './round-robin.js';
export { LeastRequestLoadBalancer } from './least-request.js';
export { RandomLoadBalancer } from './random.js';
export { RingHashLoadBalancer } from './ring-hash.js';
export { MaglevLoadBalancer, buildMaglevTable, isPrime, DEFAULT_MAGLEV_TABLE_SIZE } from './maglev.js';
export { hashString, combineHash } from './hash.js';
