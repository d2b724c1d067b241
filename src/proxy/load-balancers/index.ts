// Importing this module registers every built-in load balancer.
import './round-robin.js';
import './least-request.js';
import './random.js';

export * from './load-balancer.js';
export { RoundRobinLoadBalancer } from './round-robin.js';
export { LeastRequestLoadBalancer } from './least-request.js';
export { RandomLoadBalancer } from './random.js';
