// Importing this module registers every built-in network filter.
import './tcp-proxy.js';
import './http-connection-manager.js';

export * from './network-filter.js';
