// The network-filter interface and registry. A filter chain's filters see a
// connection in order; the last one is terminal (tcp_proxy,
// http_connection_manager) and owns the connection from then on.
import { ConfigError } from '../config/errors.js';
import type { JsonObject } from '../config/proto-json.js';
import type { SecretStore } from '../transport-sockets/secrets.js';
import type { DownstreamConnection } from '../downstream.js';
import type { Random } from '../load-balancers/index.js';
import type { StatsStore } from '../stats.js';
import type { RouteConfigProviders } from '../http/route-config-provider.js';
import type { ClusterManager } from '../upstream/cluster-manager.js';

export type NetworkFilterStatus = 'continue' | 'stop';

export interface NetworkFilter {
  onNewConnection(connection: DownstreamConnection): NetworkFilterStatus;
}

/** What a factory may use when it builds its runtime object. */
export interface FactoryContext {
  clusterManager: ClusterManager;
  stats: StatsStore;
  random: Random;
  /** Route configurations from RDS, for connection managers that name one. */
  routeConfigs?: RouteConfigProviders;
  /** Static SDS secrets a transport socket may name. */
  secrets?: SecretStore;
}

/** Makes the per-connection filter; `close` releases what the factory built (timers, servers) when the listener goes. */
export type NetworkFilterMaker = (() => NetworkFilter) & { close?: () => void };

export interface NetworkFilterFactory {
  /** True for filters that must come last and take over the connection. */
  terminal: boolean;
  create(typedConfig: JsonObject | undefined, context: FactoryContext, path: string): NetworkFilterMaker;
}

interface Registration {
  names: readonly string[];
  typeUrl: string;
  factory: NetworkFilterFactory;
}

const byName = new Map<string, Registration>();
const byType = new Map<string, Registration>();

export function registerNetworkFilter(registration: Registration): void {
  for (const name of registration.names) byName.set(name, registration);
  byType.set(registration.typeUrl, registration);
}

export function networkFilterFactory(name: string, typedConfig: JsonObject | undefined, path: string): NetworkFilterFactory {
  const typeUrl = typedConfig?.['@type'] as string | undefined;
  const registration = typeUrl !== undefined ? byType.get(typeUrl) : byName.get(name);
  if (!registration) {
    throw new ConfigError(
      typeUrl !== undefined ? `network filter type ${typeUrl} is not supported by the outrigger proxy` : `unknown network filter "${name}" (supported: ${[...byName.keys()].join(', ')})`,
      path,
    );
  }
  return registration.factory;
}
