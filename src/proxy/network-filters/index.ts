// Importing this module registers every built-in network filter.
import './tcp-proxy.js';

export * from './network-filter.js';
