// The proxy process: decodes the bootstrap, builds clusters then listeners
// (Envoy's order: listeners only open once their clusters have warmed), serves
// the admin API, and drains on SIGTERM.
import { RouteConfigProviders } from './http/route-config-provider.js';
import { startBootstrapAds } from './bootstrap-ads.js';
import type { BootstrapAds } from './bootstrap-ads.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { scope, setOutputLevels } from '../log/index.js';
import { AdminServer } from './admin/admin-server.js';
import type { AdminTarget, ServerState } from './admin/admin-server.js';
import { buildConfigDump } from './admin/config-dump.js';
import { decodeBootstrap, loadBootstrapFile } from './config/bootstrap.js';
import { ConfigError } from './config/errors.js';
import { formatDuration } from './config/duration.js';
import type { JsonObject } from './config/proto-json.js';
import type { Bootstrap } from './config/types.js';
import type { ListenerRuntime } from './listener.js';
import { ListenerManager } from './listener-manager.js';
import type { Random } from './load-balancers/index.js';
import type { FactoryContext } from './network-filters/index.js';
import { StatsStore } from './stats.js';
import type { Gauge } from './stats.js';
import type { Cluster } from './upstream/cluster.js';
import { ClusterManager } from './upstream/cluster-manager.js';

const log = scope('proxy');

/** Envoy's default --drain-time-s. */
export const DEFAULT_DRAIN_TIME_S = 600;

export interface ProxyOptions {
  /** An Envoy v3 bootstrap file, YAML or JSON (`-c`). */
  configPath?: string;
  /** Or the bootstrap itself, undecoded (tests, the agent). */
  bootstrap?: unknown;
  concurrency?: number;
  drainTimeS?: number;
  /** Envoy's levels: trace, debug, info, warning, error, critical, off. */
  logLevel?: string;
  /** Randomness for load balancing and weighted choices (seeded in tests). */
  random?: Random;
}

const ENVOY_LEVELS: Record<string, string> = {
  trace: 'debug', debug: 'debug', info: 'info', warning: 'warn', warn: 'warn', error: 'error', critical: 'error', off: 'none',
};

export function setProxyLogLevel(level: string): void {
  const mapped = ENVOY_LEVELS[level];
  if (!mapped) throw new ConfigError(`invalid log level "${level}" (one of ${Object.keys(ENVOY_LEVELS).join(', ')})`);
  setOutputLevels(`proxy:${mapped}`);
}

export function packageVersion(): string {
  try {
    const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export class ProxyServer implements AdminTarget {
  readonly stats = new StatsStore();
  readonly clusterManager: ClusterManager;
  readonly listenerManager: ListenerManager;
  readonly admin: AdminServer;
  adminAddress: { address: string; port: number } | undefined;
  private currentState: ServerState = 'PRE_INITIALIZING';
  private healthcheckFailed = false;
  private readonly started = Date.now();
  private readonly loaded = new Date();
  private readonly live: Gauge;
  private readonly stateGauge: Gauge;
  private readonly uptime: Gauge;
  private readonly totalConnections: Gauge;
  private readonly activeListeners: Gauge;
  private readonly activeClusters: Gauge;
  private draining: Promise<void> | undefined;
  private bootstrapAds: BootstrapAds | undefined;
  private readonly quitWaiters: (() => void)[] = [];

  /** Route configurations from RDS (the xDS client updates them). */
  readonly routeConfigs = new RouteConfigProviders();

  constructor(readonly bootstrap: Bootstrap, readonly options: ProxyOptions = {}) {
    const random = options.random ?? Math.random;
    this.clusterManager = new ClusterManager({ stats: this.stats, random });
    const context: FactoryContext = {
      clusterManager: this.clusterManager,
      stats: this.stats,
      random,
      routeConfigs: this.routeConfigs,
    };
    this.listenerManager = new ListenerManager(context);
    this.admin = new AdminServer(this);
    this.live = this.stats.gauge('server.live');
    this.stateGauge = this.stats.gauge('server.state');
    this.uptime = this.stats.gauge('server.uptime');
    this.totalConnections = this.stats.gauge('server.total_connections');
    this.activeListeners = this.stats.gauge('listener_manager.total_listeners_active');
    this.activeClusters = this.stats.gauge('cluster_manager.active_clusters');
    this.stats.gauge('server.concurrency').set(options.concurrency ?? 1);
    this.setState('PRE_INITIALIZING');
  }

  private setState(state: ServerState): void {
    this.currentState = state;
    this.stateGauge.set({ LIVE: 0, DRAINING: 1, PRE_INITIALIZING: 2, INITIALIZING: 3 }[state]);
    this.live.set(state === 'LIVE' ? 1 : 0);
  }

  /** Builds everything; a config error leaves nothing bound. */
  async start(): Promise<void> {
    this.setState('INITIALIZING');
    const resources = this.bootstrap.static_resources ?? {};
    this.clusterManager.addStatic(resources.clusters ?? []);
    const built = this.listenerManager.build(resources.listeners ?? []);
    const adminSocket = this.bootstrap.admin?.address?.socket_address;
    if (adminSocket) {
      const bound = await this.admin.listen(adminSocket.address, adminSocket.port_value ?? 0);
      this.adminAddress = { address: bound.address, port: bound.port };
    }
    try {
      await this.clusterManager.initialize();
      await this.listenerManager.add(built);
    } catch (error) {
      await this.admin.close();
      this.clusterManager.close();
      throw error;
    }
    try {
      this.bootstrapAds = await startBootstrapAds(this);
    } catch (error) {
      await this.shutdown();
      throw error;
    }
    this.setState('LIVE');
    log.info(`proxy is live: ${built.length} listeners, ${this.clusterManager.all().length} clusters${this.adminAddress ? `, admin on ${this.adminAddress.address}:${this.adminAddress.port}` : ''}`);
  }

  state(): ServerState {
    return this.healthcheckFailed && this.currentState === 'LIVE' ? 'DRAINING' : this.currentState;
  }

  refreshStats(): void {
    this.uptime.set(Math.floor((Date.now() - this.started) / 1000));
    this.totalConnections.set(this.listenerManager.activeSockets.size);
    this.activeListeners.set(this.listenerManager.all().length);
    this.activeClusters.set(this.clusterManager.all().length);
    this.live.set(this.state() === 'LIVE' ? 1 : 0);
  }

  serverInfo(): object {
    const uptime = formatDuration({ seconds: Math.floor((Date.now() - this.started) / 1000), nanos: 0 });
    return {
      version: `outrigger/${packageVersion()}/Clean/RELEASE/node-${process.versions.node}`,
      state: this.state(),
      hot_restart_version: 'disabled',
      command_line_options: {
        concurrency: this.options.concurrency ?? 1,
        config_path: this.options.configPath ?? '',
        log_level: this.options.logLevel ?? 'info',
        drain_time: formatDuration({ seconds: this.options.drainTimeS ?? DEFAULT_DRAIN_TIME_S, nanos: 0 }),
        mode: 'Serve',
      },
      node: this.bootstrap.node ?? {},
      uptime_current_epoch: uptime,
      uptime_all_epochs: uptime,
    };
  }

  listeners(): readonly ListenerRuntime[] {
    return this.listenerManager.all();
  }

  clusters(): readonly Cluster[] {
    return this.clusterManager.all();
  }

  configDump(): JsonObject {
    return buildConfigDump({
      bootstrap: this.bootstrap as unknown as JsonObject,
      bootstrapLoaded: this.loaded,
      clusters: this.clusterManager.all().map((c) => ({
        resource: c.config as unknown as JsonObject, lastUpdated: c.lastUpdated, addedViaApi: c.addedViaApi, ...(c.versionInfo ? { versionInfo: c.versionInfo } : {}),
      })),
      listeners: this.listenerManager.all().map((l) => ({
        resource: l.config as unknown as JsonObject, lastUpdated: l.lastUpdated, addedViaApi: l.addedViaApi, ...(l.versionInfo ? { versionInfo: l.versionInfo } : {}),
      })),
      routes: this.routeConfigs.all().map((r) => ({ resource: r.resource, lastUpdated: r.lastUpdated, addedViaApi: true, versionInfo: r.versionInfo })),
    });
  }

  failHealthcheck(fail: boolean): void {
    this.healthcheckFailed = fail;
    this.refreshStats();
  }

  drainListeners(): Promise<void> {
    return this.listenerManager.stopListening();
  }

  setLogLevel(level: string): void {
    setProxyLogLevel(level);
  }

  /** SIGTERM: stop accepting, give open connections the drain time, then close everything. */
  drain(drainTimeS = this.options.drainTimeS ?? DEFAULT_DRAIN_TIME_S): Promise<void> {
    this.draining ??= (async () => {
      this.setState('DRAINING');
      log.info(`draining: no new connections; waiting up to ${drainTimeS}s for ${this.listenerManager.activeSockets.size} open ones`);
      await this.listenerManager.drain(drainTimeS * 1000);
      await this.shutdown();
    })();
    return this.draining;
  }

  /** Closes everything now. */
  async shutdown(): Promise<void> {
    this.bootstrapAds?.stop();
    await this.listenerManager.drain(0);
    this.listenerManager.close();
    this.clusterManager.close();
    await this.admin.close();
    for (const w of this.quitWaiters.splice(0)) w();
  }

  quit(): void {
    void this.shutdown();
  }

  /** Resolves when the server has shut down (quitquitquit, drain or shutdown). */
  closed(): Promise<void> {
    return new Promise((resolve) => this.quitWaiters.push(resolve));
  }
}

function bootstrapFrom(options: ProxyOptions): Bootstrap {
  if (options.bootstrap !== undefined) return decodeBootstrap(options.bootstrap);
  if (options.configPath === undefined) throw new ConfigError('no bootstrap: give a config path (-c)');
  return loadBootstrapFile(options.configPath);
}

/** Starts a proxy in this process (no signal handling; the caller owns the process). */
export async function startProxy(options: ProxyOptions): Promise<ProxyServer> {
  if (options.logLevel !== undefined) setProxyLogLevel(options.logLevel);
  const server = new ProxyServer(bootstrapFrom(options), options);
  await server.start();
  return server;
}

/**
 * `outrigger proxy`: starts the proxy, drains on SIGTERM/SIGINT and resolves
 * when it has shut down (after a drain or /quitquitquit).
 */
export async function runProxy(options: ProxyOptions): Promise<void> {
  if (options.concurrency !== undefined && options.concurrency > 1) {
    log.warn(`--concurrency ${options.concurrency}: this version runs one event loop; the value is reported but not used yet`);
  }
  const server = await startProxy(options);
  const onSignal = (signal: NodeJS.Signals) => {
    log.info(`received ${signal}`);
    void server.drain();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  await server.closed();
  process.removeListener('SIGTERM', onSignal);
  process.removeListener('SIGINT', onSignal);
}
