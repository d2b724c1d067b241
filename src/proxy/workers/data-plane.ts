// What every worker runs, the main process's share included: a stats store and
// the clusters, listeners and route configurations built from the same config
// resources. Envoy's workers share the main thread's config through thread-local
// copies; ours are separate processes, each building its own copy.
import { RouteConfigProviders } from '../http/route-config-provider.js';
import { ListenerManager } from '../listener-manager.js';
import type { InheritedSocket } from '../listener-manager.js';
import type { Random } from '../load-balancers/index.js';
import type { FactoryContext } from '../network-filters/index.js';
import { StatsStore } from '../stats.js';
import type { Gauge } from '../stats.js';
import { ClusterManager } from '../upstream/cluster-manager.js';
import { SecretStore } from '../transport-sockets/secrets.js';

export interface DataPlaneOptions {
  random?: Random;
  /** Workers listen on sockets the main process bound. */
  inheritedSocket?: InheritedSocket;
}

export class DataPlane {
  readonly stats = new StatsStore();
  readonly clusterManager: ClusterManager;
  readonly listenerManager: ListenerManager;
  /** Route configurations from RDS. */
  readonly routeConfigs = new RouteConfigProviders();
  /** The bootstrap's static secrets (static SDS), which transport sockets name. */
  readonly secrets = new SecretStore();
  private readonly totalConnections: Gauge;

  constructor(options: DataPlaneOptions = {}) {
    const random = options.random ?? Math.random;
    this.clusterManager = new ClusterManager({ stats: this.stats, random, secrets: this.secrets });
    const context: FactoryContext = { clusterManager: this.clusterManager, stats: this.stats, random, routeConfigs: this.routeConfigs, secrets: this.secrets };
    this.listenerManager = new ListenerManager(context, options.inheritedSocket);
    this.totalConnections = this.stats.gauge('server.total_connections');
  }

  /** Brings the gauges computed on demand up to date. */
  refreshStats(): void {
    this.totalConnections.set(this.listenerManager.activeSockets.size);
  }

  /** After a drain: releases the listeners' filter resources and the clusters' pools and timers. */
  close(): void {
    this.listenerManager.close();
    this.clusterManager.close();
  }
}
