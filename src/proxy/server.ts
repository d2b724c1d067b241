// The proxy process: decodes the bootstrap, builds clusters then listeners
// (Envoy's order: listeners only open once their clusters have warmed), serves
// the admin API, and drains on SIGTERM. With --concurrency N it also runs N-1
// worker processes (workers/): this process stays the one owner of the config,
// the admin API and xDS, and sends every config update on to them.
import type net from 'node:net';
import os from 'node:os';
import { startBootstrapAds } from './bootstrap-ads.js';
import type { BootstrapAds } from './bootstrap-ads.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { scope } from '../log/index.js';
import { AdminServer } from './admin/admin-server.js';
import type { AdminTarget, ServerState } from './admin/admin-server.js';
import { clusterStatus } from './admin/clusters.js';
import type { ClusterStatus } from './admin/clusters.js';
import { buildConfigDump } from './admin/config-dump.js';
import { decodeBootstrap, loadBootstrapFile } from './config/bootstrap.js';
import { ConfigError } from './config/errors.js';
import { formatDuration } from './config/duration.js';
import type { JsonObject } from './config/proto-json.js';
import type { Bootstrap, ClusterLoadAssignment } from './config/types.js';
import type { RouteConfigProviders } from './http/route-config-provider.js';
import type { ListenerRuntime } from './listener.js';
import type { ListenerManager } from './listener-manager.js';
import type { Random } from './load-balancers/index.js';
import { setProxyLogLevel } from './log-level.js';
import type { Gauge, Stat, StatsStore } from './stats.js';
import type { Cluster } from './upstream/cluster.js';
import type { ClusterManager } from './upstream/cluster-manager.js';
import { applyConfigUpdate } from './workers/config-update.js';
import type { ConfigUpdate } from './workers/config-update.js';
import { DataPlane } from './workers/data-plane.js';
import { mergeClusterStatuses, mergeStats } from './workers/stats-merge.js';
import { WorkerPool } from './workers/worker-pool.js';

export { setProxyLogLevel } from './log-level.js';
export type { ConfigUpdate } from './workers/config-update.js';

const log = scope('proxy');

/** Envoy's default --drain-time-s. */
export const DEFAULT_DRAIN_TIME_S = 600;

export interface ProxyOptions {
  /** An Envoy v3 bootstrap file, YAML or JSON (`-c`). */
  configPath?: string;
  /** Or the bootstrap itself, undecoded (tests, the agent). */
  bootstrap?: unknown;
  /** Processes accepting connections (Envoy's workers): 1 when unset, every core when 0 (Istio's meaning). */
  concurrency?: number;
  drainTimeS?: number;
  /** Envoy's levels: trace, debug, info, warning, error, critical, off. */
  logLevel?: string;
  /** Randomness for load balancing and weighted choices (seeded in tests; this process only). */
  random?: Random;
}

/** The number of processes --concurrency asks for. */
export function effectiveConcurrency(concurrency: number | undefined): number {
  if (concurrency === undefined) return 1;
  return concurrency === 0 ? os.availableParallelism() : concurrency;
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
  /** This process's data plane; workers run copies built from the same updates. */
  readonly plane: DataPlane;
  readonly stats: StatsStore;
  readonly clusterManager: ClusterManager;
  readonly listenerManager: ListenerManager;
  /** Route configurations from RDS (the xDS client updates them). */
  readonly routeConfigs: RouteConfigProviders;
  readonly admin: AdminServer;
  /** Processes accepting connections: this one and concurrency-1 workers. */
  readonly concurrency: number;
  adminAddress: { address: string; port: number } | undefined;
  private currentState: ServerState = 'PRE_INITIALIZING';
  private healthcheckFailed = false;
  private readonly started = Date.now();
  private readonly loaded = new Date();
  private readonly live: Gauge;
  private readonly stateGauge: Gauge;
  private readonly uptime: Gauge;
  private readonly activeListeners: Gauge;
  private readonly activeClusters: Gauge;
  private draining: Promise<void> | undefined;
  private bootstrapAds: BootstrapAds | undefined;
  private workers: WorkerPool | undefined;
  /** The last endpoints per cluster, for a worker that starts later (the cluster's config has the rest). */
  private readonly assignments = new Map<string, ClusterLoadAssignment>();
  private readonly quitWaiters: (() => void)[] = [];

  constructor(readonly bootstrap: Bootstrap, readonly options: ProxyOptions = {}) {
    this.plane = new DataPlane({ random: options.random ?? Math.random });
    ({ stats: this.stats, clusterManager: this.clusterManager, listenerManager: this.listenerManager, routeConfigs: this.routeConfigs } = this.plane);
    this.concurrency = effectiveConcurrency(options.concurrency);
    this.admin = new AdminServer(this);
    this.live = this.stats.gauge('server.live');
    this.stateGauge = this.stats.gauge('server.state');
    this.uptime = this.stats.gauge('server.uptime');
    this.activeListeners = this.stats.gauge('listener_manager.total_listeners_active');
    this.activeClusters = this.stats.gauge('cluster_manager.active_clusters');
    this.stats.gauge('server.concurrency').set(this.concurrency);
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
    this.plane.secrets.setStatic(resources.secrets ?? []);
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
      if (this.concurrency > 1) {
        this.workers = new WorkerPool({ count: this.concurrency - 1, ...(this.options.logLevel ? { logLevel: this.options.logLevel } : {}), currentConfig: () => this.currentConfig() });
        await this.workers.start();
      }
      this.bootstrapAds = await startBootstrapAds(this);
    } catch (error) {
      await this.shutdown();
      throw error;
    }
    this.setState('LIVE');
    const workers = this.workers ? `, ${this.concurrency - 1} workers (pids ${this.workers.pids().join(', ')})` : '';
    log.info(`proxy is live: ${built.length} listeners, ${this.clusterManager.all().length} clusters${workers}${this.adminAddress ? `, admin on ${this.adminAddress.address}:${this.adminAddress.port}` : ''}`);
  }

  /**
   * Applies a config update (xDS) here, then in every worker, and resolves when all have it.
   * Throws ConfigError, changing nothing, when the update is refused.
   */
  async applyConfig(update: ConfigUpdate): Promise<void> {
    const before = update.kind === 'listener' ? this.listenerManager.socketOf(update.config.name) : undefined;
    await applyConfigUpdate(this.plane, update);
    if (update.kind === 'endpoints') this.assignments.set(update.assignment.cluster_name, update.assignment);
    // A replaced cluster starts without endpoints, as the new one does in every process.
    if (update.kind === 'cluster') this.assignments.delete(update.config.name);
    if (update.kind === 'cluster-removed') this.assignments.delete(update.name);
    if (!this.workers) return;
    // A listener that bound a new socket hands it over; one updated in place keeps the one the workers have.
    const after = update.kind === 'listener' ? this.listenerManager.socketOf(update.config.name) : undefined;
    await this.workers.apply(update, after !== before ? after : undefined);
  }

  /** The configuration as it stands, as the updates that would build it: what a new worker is given. */
  private currentConfig(): { update: ConfigUpdate; socket?: net.Server }[] {
    const updates: { update: ConfigUpdate; socket?: net.Server }[] = [];
    const secrets = this.plane.secrets.all();
    if (secrets.length > 0) updates.push({ update: { kind: 'secrets', secrets } });
    for (const c of this.clusterManager.all()) updates.push({ update: { kind: 'cluster', config: c.config, ...(c.versionInfo ? { versionInfo: c.versionInfo } : {}) } });
    for (const assignment of this.assignments.values()) updates.push({ update: { kind: 'endpoints', assignment } });
    for (const r of this.routeConfigs.all()) updates.push({ update: { kind: 'route', resource: r.resource, versionInfo: r.versionInfo } });
    // Listeners last, so that a worker accepts only once it has everything they use.
    for (const l of this.listenerManager.all()) {
      const socket = this.listenerManager.socketOf(l.name);
      updates.push({ update: { kind: 'listener', config: l.config, ...(l.versionInfo ? { versionInfo: l.versionInfo } : {}) }, ...(socket ? { socket } : {}) });
    }
    return updates;
  }

  /** The worker processes' ids (none with concurrency 1). */
  workerPids(): number[] {
    return this.workers?.pids() ?? [];
  }

  state(): ServerState {
    return this.healthcheckFailed && this.currentState === 'LIVE' ? 'DRAINING' : this.currentState;
  }

  /** Brings this process's computed gauges up to date. */
  refreshStats(): void {
    this.plane.refreshStats();
    this.uptime.set(Math.floor((Date.now() - this.started) / 1000));
    this.activeListeners.set(this.listenerManager.all().length);
    this.activeClusters.set(this.clusterManager.all().length);
    this.live.set(this.state() === 'LIVE' ? 1 : 0);
  }

  async statsSnapshot(): Promise<readonly Stat[]> {
    this.refreshStats();
    if (!this.workers) return this.stats.all();
    const { live, retired } = await this.workers.stats();
    return mergeStats(this.stats.all(), [...live.map((w) => w.stats), retired.stats]);
  }

  async clusterStatuses(): Promise<readonly ClusterStatus[]> {
    const own = this.clusterManager.all().map(clusterStatus);
    if (!this.workers) return own;
    const { live, retired } = await this.workers.stats();
    return mergeClusterStatuses(own, live.map((w) => w.hosts), retired.hosts);
  }

  serverInfo(): object {
    const uptime = formatDuration({ seconds: Math.floor((Date.now() - this.started) / 1000), nanos: 0 });
    return {
      version: `outrigger/${packageVersion()}/Clean/RELEASE/node-${process.versions.node}`,
      state: this.state(),
      hot_restart_version: 'disabled',
      command_line_options: {
        concurrency: this.concurrency,
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
      secrets: this.plane.secrets.all().map((s) => ({ resource: s as unknown as JsonObject, lastUpdated: this.loaded, addedViaApi: false })),
    });
  }

  failHealthcheck(fail: boolean): void {
    this.healthcheckFailed = fail;
    this.refreshStats();
  }

  async drainListeners(): Promise<void> {
    await Promise.all([this.listenerManager.stopListening(), this.workers?.stopListening()]);
  }

  setLogLevel(level: string): void {
    setProxyLogLevel(level);
    this.workers?.setLogLevel(level);
  }

  /** SIGTERM: stop accepting, give open connections the drain time, then close everything. */
  drain(drainTimeS = this.options.drainTimeS ?? DEFAULT_DRAIN_TIME_S): Promise<void> {
    this.draining ??= (async () => {
      this.setState('DRAINING');
      const workers = this.workers ? ` (and those of ${this.concurrency - 1} workers)` : '';
      log.info(`draining: no new connections; waiting up to ${drainTimeS}s for ${this.listenerManager.activeSockets.size} open ones${workers}`);
      await Promise.all([this.listenerManager.drain(drainTimeS * 1000), this.workers?.drain(drainTimeS * 1000)]);
      await this.shutdown();
    })();
    return this.draining;
  }

  /** Closes everything now. */
  async shutdown(): Promise<void> {
    this.bootstrapAds?.stop();
    await Promise.all([this.listenerManager.drain(0), this.workers?.shutdown()]);
    this.plane.close();
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
