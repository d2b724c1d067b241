// envoy.filters.network.tcp_proxy: forwards a downstream connection's bytes to
// one upstream host, both ways, with backpressure and half-close. The cluster
// is fixed or drawn from weighted_clusters per connection; a failed connect is
// retried on another host up to max_connect_attempts.
import type net from 'node:net';
import { ConfigError } from '../config/errors.js';
import { durationMs } from '../config/duration.js';
import type { JsonObject } from '../config/proto-json.js';
import { typeUrls } from '../config/protos.js';
import type { TcpProxyConfig } from '../config/types.js';
import type { DownstreamConnection } from '../downstream.js';
import type { Host } from '../upstream/host.js';
import { connectUpstream } from '../upstream/connect.js';
import type { UpstreamConnection } from '../upstream/connect.js';
import type { ClusterStats } from '../upstream/cluster-stats.js';
import { registerNetworkFilter } from './network-filter.js';
import type { FactoryContext, NetworkFilter } from './network-filter.js';
import { TcpProxyStats } from './tcp-proxy-stats.js';
import { pickWeighted } from './weighted-choice.js';
import { hashString } from '../load-balancers/index.js';
import { buildAccessLogs } from '../access-log/access-log.js';
import type { AccessLogger } from '../access-log/access-log.js';
import { flushAndClose, pump } from '../socket-pump.js';

/** Envoy's default tcp_proxy idle_timeout: one hour. */
export const DEFAULT_IDLE_TIMEOUT_MS = 3_600_000;

interface TcpProxyRuntime {
  clusters: readonly { name: string; weight: number }[];
  idleTimeoutMs: number;
  maxConnectAttempts: number;
  stats: TcpProxyStats;
  context: FactoryContext;
  accessLogs: readonly AccessLogger[];
  /** hash_policy source_ip: RING_HASH keeps a client on one host. */
  hashSourceIp: boolean;
}

/** What the access log shows about one proxied connection. */
interface ConnectionRecord {
  start: number;
  flags: Set<string>;
  cluster?: string;
  upstreamHost?: string;
  upstreamLocal?: string;
  received: number;
  sent: number;
}

function endpoint(address: string | undefined, port: number | undefined): string {
  const a = address?.startsWith('::ffff:') ? address.slice(7) : address ?? '';
  return a.includes(':') ? `[${a}]:${port ?? 0}` : `${a}:${port ?? 0}`;
}

function logConnection(runtime: TcpProxyRuntime, connection: DownstreamConnection, record: ConnectionRecord): void {
  if (runtime.accessLogs.length === 0) return;
  const info = {
    startTime: record.start,
    durationMs: Date.now() - record.start,
    responseFlags: record.flags,
    bytesReceived: record.received,
    bytesSent: record.sent,
    ...(record.upstreamHost !== undefined ? { upstreamHost: record.upstreamHost } : {}),
    ...(record.cluster !== undefined ? { upstreamCluster: record.cluster } : {}),
    ...(record.upstreamLocal !== undefined ? { upstreamLocalAddress: record.upstreamLocal } : {}),
    downstreamLocalAddress: endpoint(connection.localAddress.address, connection.localAddress.port),
    downstreamRemoteAddress: endpoint(connection.remoteAddress.address, connection.remoteAddress.port),
    downstreamDirectRemoteAddress: endpoint(connection.remoteAddress.address, connection.remoteAddress.port),
    ...(connection.serverName !== undefined ? { requestedServerName: connection.serverName } : {}),
  };
  for (const logger of runtime.accessLogs) logger.log(info);
}

function build(typedConfig: JsonObject | undefined, context: FactoryContext, path: string): TcpProxyRuntime {
  const config = typedConfig as unknown as TcpProxyConfig | undefined;
  if (!config) throw new ConfigError('typed_config is required', path);
  const clusters = config.cluster !== undefined
    ? [{ name: config.cluster, weight: 1 }]
    : (config.weighted_clusters?.clusters ?? []).map((c) => ({ name: c.name, weight: c.weight ?? 0 }));
  if (config.weighted_clusters && clusters.reduce((sum, c) => sum + c.weight, 0) === 0) {
    throw new ConfigError('weighted_clusters need a positive total weight', `${path}.typed_config.weighted_clusters`);
  }
  return {
    clusters,
    idleTimeoutMs: durationMs(config.idle_timeout, DEFAULT_IDLE_TIMEOUT_MS),
    maxConnectAttempts: config.max_connect_attempts ?? 1,
    stats: new TcpProxyStats(context.stats, config.stat_prefix),
    context,
    accessLogs: buildAccessLogs(config.access_log, `${path}.typed_config.access_log`),
    hashSourceIp: (config.hash_policy ?? []).some((p) => p.source_ip !== undefined),
  };
}

class TcpProxyFilter implements NetworkFilter {
  constructor(private readonly runtime: TcpProxyRuntime) {}

  onNewConnection(connection: DownstreamConnection): 'stop' {
    this.runtime.stats.downstream_cx_total.inc();
    void this.connect(connection);
    return 'stop';
  }

  private async connect(connection: DownstreamConnection): Promise<void> {
    const { runtime } = this;
    const downstream = connection.socket;
    const record: ConnectionRecord = { start: Date.now(), flags: new Set(), received: 0, sent: 0 };
    downstream.once('close', () => logConnection(runtime, connection, record));
    const choice = runtime.clusters.length === 1 ? runtime.clusters[0] : pickWeighted(runtime.clusters, runtime.context.random());
    const cluster = choice ? runtime.context.clusterManager.get(choice.name) : undefined;
    if (!cluster) {
      runtime.stats.downstream_cx_no_route.inc();
      record.flags.add('NC');
      downstream.destroy();
      return;
    }
    // A peer that resets while we connect must not leave an unhandled 'error'.
    let downstreamGone = false;
    const onEarlyClose = () => (downstreamGone = true);
    downstream.once('close', onEarlyClose);
    downstream.on('error', () => undefined);
    // Circuit breaker: past max_connections the connection fails fast (upstream_cx_overflow).
    record.cluster = cluster.name;
    if (!cluster.circuitBreakers.canConnect(cluster.stats.upstream_cx_active.value)) {
      record.flags.add('UO');
      downstream.destroy();
      return;
    }
    const tried = new Set<Host>();
    let upstream: UpstreamConnection | undefined;
    for (let attempt = 0; attempt < runtime.maxConnectAttempts && !upstream && !downstreamGone; attempt++) {
      const host = cluster.chooseHost({
        downstreamLocalAddress: connection.localAddress,
        excludedHosts: tried,
        ...(runtime.hashSourceIp ? { hash: hashString(connection.remoteAddress.address) } : {}),
      });
      if (!host) {
        record.flags.add('UH');
        break;
      }
      tried.add(host);
      record.upstreamHost = host.key;
      try {
        upstream = await connectUpstream(cluster, host);
        cluster.reportOutcome(host, { kind: 'success' });
      } catch {
        // Counted by connectUpstream; outlier detection hears of it; try the next host.
        cluster.reportOutcome(host, { kind: 'local-failure' });
      }
    }
    downstream.removeListener('close', onEarlyClose);
    if (!upstream) {
      if (tried.size > 0 && !downstreamGone) {
        cluster.stats.upstream_cx_connect_attempts_exceeded.inc();
        record.flags.add('UF');
        if (tried.size > 1) record.flags.add('URX');
      }
      downstream.destroy();
      return;
    }
    if (downstreamGone) {
      upstream.socket.destroy();
      upstream.release('local');
      return;
    }
    record.upstreamLocal = endpoint(upstream.socket.localAddress, upstream.socket.localPort);
    splice(connection, upstream, runtime, cluster.stats, record);
  }
}

/** Joins the two sockets: bytes both ways with backpressure, FIN passed on, a reset ends both. */
function splice(connection: DownstreamConnection, upstream: UpstreamConnection, runtime: TcpProxyRuntime, clusterStats: ClusterStats, record: ConnectionRecord): void {
  const downstream = connection.socket;
  const up = upstream.socket;
  const stats = runtime.stats;
  let closedBy: 'local' | 'remote' = 'remote';

  const finish = (error?: NodeJS.ErrnoException) => {
    // A reset on one side becomes a reset on the other, so the peer sees the failure rather than a clean FIN.
    const reset = error?.code === 'ECONNRESET' || error?.code === 'EPIPE';
    for (const s of [downstream, up]) {
      if (s.destroyed) continue;
      if (reset) s.resetAndDestroy();
      else s.destroy();
    }
  };

  const initial = connection.takePeeked();
  if (initial.length > 0) {
    record.received += initial.length;
    stats.downstream_cx_rx_bytes_total.inc(initial.length);
    clusterStats.upstream_cx_tx_bytes_total.inc(initial.length);
    up.write(initial);
  }

  const flowControl = {
    paused: () => stats.downstream_flow_control_paused_reading_total.inc(),
    resumed: () => stats.downstream_flow_control_resumed_reading_total.inc(),
  };
  pump(downstream, up, {
    count: (n) => {
      record.received += n;
      stats.downstream_cx_rx_bytes_total.inc(n);
      clusterStats.upstream_cx_tx_bytes_total.inc(n);
    },
    ...flowControl,
  });
  pump(up, downstream, {
    count: (n) => {
      record.sent += n;
      clusterStats.upstream_cx_rx_bytes_total.inc(n);
      stats.downstream_cx_tx_bytes_total.inc(n);
    },
    ...flowControl,
  });

  if (connection.readEnded) up.end();
  else downstream.once('end', () => up.end());
  up.on('end', () => downstream.end());

  downstream.on('error', (e: NodeJS.ErrnoException) => finish(e));
  up.on('error', (e: NodeJS.ErrnoException) => finish(e));
  // When one side is fully closed nothing more can travel to it: the other side gets what is
  // already written (flushed), then a FIN, then is closed — without waiting for its peer.
  downstream.on('close', () => {
    closedBy = 'local';
    flushAndClose(up);
  });
  up.on('close', () => {
    upstream.release(closedBy);
    flushAndClose(downstream);
  });

  // The upstream socket sees every byte in either direction (reads one way, writes the other),
  // so its inactivity timer is the connection's idle timer.
  if (runtime.idleTimeoutMs > 0) {
    up.setTimeout(runtime.idleTimeoutMs, () => {
      stats.idle_timeout.inc();
      closedBy = 'local';
      finish();
    });
  }
  downstream.resume();
}

registerNetworkFilter({
  names: ['envoy.filters.network.tcp_proxy', 'envoy.tcp_proxy'],
  typeUrl: typeUrls.tcpProxy,
  factory: {
    terminal: true,
    create(typedConfig, context, path) {
      const runtime = build(typedConfig, context, path);
      return () => new TcpProxyFilter(runtime);
    },
  },
});
