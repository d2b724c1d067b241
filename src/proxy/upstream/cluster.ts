// The runtime cluster: built once from a decoded Cluster, it owns its hosts,
// its load balancer and its stats. Discovery types (STATIC, STRICT_DNS,
// ORIGINAL_DST, EDS) are registered by Envoy's enum names, one file each.
import net from 'node:net';
import { ConfigError } from '../config/errors.js';
import { durationMs } from '../config/duration.js';
import type { Cluster as ClusterConfig, ClusterLoadAssignment, DiscoveryType, SocketAddress } from '../config/types.js';
import { loadBalancerFactory } from '../load-balancers/index.js';
import type { LoadBalancer, Random } from '../load-balancers/index.js';
import type { StatsStore } from '../stats.js';
import { ClusterStats } from './cluster-stats.js';
import { Host } from './host.js';
import { selectableHosts } from './host-selection.js';
import { CircuitBreakers } from './circuit-breakers.js';
import type { ThresholdsConfig } from './circuit-breakers.js';
import { OutlierDetector } from './outlier-detector.js';
import { upstreamHttpOptions } from './http-protocol-options.js';
import type { OutlierDetectionConfig, OutlierResult } from './outlier-detector.js';
import { SecretStore, upstreamTransportSocket } from '../transport-sockets/index.js';
import { selectSocket, transportSocketMatchOf } from '../transport-sockets/socket-matches.js';
import type { SocketMatch } from '../transport-sockets/socket-matches.js';
import type { UpstreamTls } from '../transport-sockets/index.js';

/** Envoy's default connect_timeout. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/** What a cluster may use to pick a host for one connection or request. */
export interface LoadBalancerContext {
  /** The downstream's original destination (ORIGINAL_DST uses it as the host). */
  downstreamLocalAddress?: { address: string; port: number };
  /** Hosts already tried (retries prefer others). */
  excludedHosts?: ReadonlySet<Host>;
  /** The request's hash from a hash_policy (RING_HASH, MAGLEV). */
  hash?: number;
}

export interface ClusterContext {
  stats: StatsStore;
  random: Random;
  /** Static SDS secrets a transport socket may name. */
  secrets?: SecretStore;
}

export abstract class Cluster {
  readonly name: string;
  readonly statName: string;
  readonly stats: ClusterStats;
  readonly connectTimeoutMs: number;
  /** upstream_bind_config.source_address: e.g. 127.0.0.6 for Istio's inbound passthrough. */
  readonly sourceAddress: { address: string; port: number } | undefined;
  /** upstream_bind_config.extra_source_addresses: Istio's ::6 next to 127.0.0.6 on dual-stack inbound clusters. */
  readonly extraSourceAddresses: readonly { address: string; port: number }[];
  protected readonly lb: LoadBalancer | undefined;
  readonly circuitBreakers: CircuitBreakers;
  /** The upstream HTTP protocol: explicit HTTP/1.1 or HTTP/2, or whatever the downstream spoke. */
  readonly httpProtocol: 'http1' | 'http2' | 'downstream';
  /** How long pooled HTTP connections live: max_requests_per_connection and idle_timeout. */
  readonly httpPool: { maxRequestsPerConnection: number; idleTimeoutMs: number };
  readonly outlierDetector: OutlierDetector | undefined;
  /** transport_socket envoy.transport_sockets.tls: connections to hosts are TLS (unless a socket match says otherwise). */
  readonly tls: UpstreamTls | undefined;
  /** transport_socket_matches, in order. */
  private readonly socketMatches: readonly SocketMatch<UpstreamTls | undefined>[];
  protected hostList: readonly Host[] = [];
  readonly addedViaApi: boolean;
  readonly lastUpdated = new Date();
  /** Connection pools built for this cluster register here to be released with it. */
  readonly onRelease: (() => void)[] = [];
  /** The xDS version that delivered this cluster (config_dump's version_info). */
  versionInfo: string | undefined;

  constructor(readonly config: ClusterConfig, context: ClusterContext, path: string, addedViaApi = false) {
    this.name = config.name;
    this.statName = config.alt_stat_name || config.name;
    this.stats = new ClusterStats(context.stats, this.statName);
    this.connectTimeoutMs = durationMs(config.connect_timeout, DEFAULT_CONNECT_TIMEOUT_MS);
    this.addedViaApi = addedViaApi;
    const bind = config.upstream_bind_config;
    const sourceOf = (source: SocketAddress, where: string) => {
      if (!net.isIP(source.address)) throw new ConfigError(`"${source.address}" is not an IP address`, `${where}.address`);
      return { address: source.address, port: source.port_value ?? 0 };
    };
    if (bind?.source_address) this.sourceAddress = sourceOf(bind.source_address, `${path}.upstream_bind_config.source_address`);
    this.extraSourceAddresses = (bind?.extra_source_addresses ?? []).map((e, i) => {
      const where = `${path}.upstream_bind_config.extra_source_addresses[${i}].address`;
      if (!e.address) throw new ConfigError('address is required', where);
      if (!this.sourceAddress) throw new ConfigError('extra_source_addresses need a source_address', `${path}.upstream_bind_config`);
      return sourceOf(e.address, where);
    });
    const secrets = context.secrets ?? new SecretStore();
    this.tls = upstreamTransportSocket(config.transport_socket, secrets, context.stats, this.statName, `${path}.transport_socket`);
    this.socketMatches = (config.transport_socket_matches ?? []).map((m, i) => {
      const where = `${path}.transport_socket_matches[${i}]("${m.name}")`;
      return { name: m.name, match: m.match ?? {}, socket: upstreamTransportSocket(m.transport_socket ?? { name: 'envoy.transport_sockets.raw_buffer' }, secrets, context.stats, this.statName, `${where}.transport_socket`) };
    });
    this.lb = this.createLoadBalancer(config, context, path);
    const http = upstreamHttpOptions(config, path);
    this.httpProtocol = http.protocol;
    this.httpPool = { maxRequestsPerConnection: http.maxRequestsPerConnection, idleTimeoutMs: http.idleTimeoutMs };
    this.circuitBreakers = new CircuitBreakers(config.circuit_breakers?.thresholds as ThresholdsConfig[] | undefined, context.stats, this.statName);
    this.outlierDetector = config.outlier_detection
      ? new OutlierDetector(config.outlier_detection as OutlierDetectionConfig, context.stats, this.statName, `${path}.outlier_detection`, context.random)
      : undefined;
  }

  /**
   * The source to bind for a connection to `hostAddress`, as Envoy's default local address
   * selector picks it: source_address when its family matches the host's, else the first extra
   * source address of that family, else source_address anyway.
   */
  sourceFor(hostAddress: string): { address: string; port: number } | undefined {
    const source = this.sourceAddress;
    if (!source || this.extraSourceAddresses.length === 0) return source;
    const family = net.isIP(hostAddress);
    if (net.isIP(source.address) === family) return source;
    return this.extraSourceAddresses.find((e) => net.isIP(e.address) === family) ?? source;
  }

  /** The TLS origination for connections to this host (undefined: plaintext). */
  tlsFor(host: Host): UpstreamTls | undefined {
    return this.socketMatches.length === 0 ? this.tls : selectSocket(this.socketMatches, host.transportSocketMatch, this.tls);
  }

  /** Feeds outlier detection (a no-op without outlier_detection). */
  reportOutcome(host: Host, result: OutlierResult): void {
    this.outlierDetector?.report(host, result, this.hostList.length);
  }

  protected createLoadBalancer(config: ClusterConfig, context: ClusterContext, path: string): LoadBalancer | undefined {
    const policy = config.lb_policy ?? 'ROUND_ROBIN';
    if (policy === 'CLUSTER_PROVIDED') throw new ConfigError(`lb_policy CLUSTER_PROVIDED is only valid for ORIGINAL_DST clusters`, `${path}.lb_policy`);
    const factory = loadBalancerFactory(policy);
    if (!factory) throw new ConfigError(`lb_policy ${policy} is not supported by the outrigger proxy`, `${path}.lb_policy`);
    return factory({
      random: context.random,
      choiceCount: config.least_request_lb_config?.choice_count,
      minimumRingSize: config.ring_hash_lb_config?.minimum_ring_size,
      maximumRingSize: config.ring_hash_lb_config?.maximum_ring_size,
      maglevTableSize: config.maglev_lb_config?.table_size,
      path,
    });
  }

  /** Resolves when the cluster has its first host set (Envoy's cluster warming). */
  initialize(): Promise<void> {
    return Promise.resolve();
  }

  hosts(): readonly Host[] {
    return this.hostList;
  }

  protected setHosts(hosts: readonly Host[]): void {
    this.hostList = hosts;
    this.stats.membership_total.set(hosts.length);
    this.stats.membership_healthy.set(hosts.filter((h) => h.healthy).length);
    this.stats.membership_change.inc();
  }

  /** The host for one upstream connection, or undefined when there is none (upstream_cx_none_healthy). */
  chooseHost(context: LoadBalancerContext): Host | undefined {
    const selection = selectableHosts(this.hostList);
    let hosts = selection.hosts;
    if (context.excludedHosts && context.excludedHosts.size > 0 && hosts.length > 1) {
      const others = hosts.filter((h) => !context.excludedHosts!.has(h));
      if (others.length > 0) hosts = others;
    }
    if (hosts.length === 0 || !this.lb) {
      this.stats.upstream_cx_none_healthy.inc();
      return undefined;
    }
    if (selection.panic) this.stats.lb_healthy_panic.inc();
    return this.lb.choose(hosts, context.hash === undefined ? undefined : { hash: context.hash });
  }

  /** New endpoints from EDS (or any source of ClusterLoadAssignment). */
  updateLoadAssignment(_assignment: ClusterLoadAssignment): void {
    throw new ConfigError(`cluster "${this.name}" of type ${this.config.type ?? 'STATIC'} does not take endpoint updates`);
  }

  close(): void {}

  /** Stops the cluster's own timers (close) and releases its connection pools. */
  release(): void {
    this.close();
    for (const release of this.onRelease.splice(0)) release();
  }
}

export type ClusterFactory = (config: ClusterConfig, context: ClusterContext, path: string, addedViaApi: boolean) => Cluster;

const registry = new Map<DiscoveryType, ClusterFactory>();

export function registerClusterType(type: DiscoveryType, factory: ClusterFactory): void {
  registry.set(type, factory);
}

export function createCluster(config: ClusterConfig, context: ClusterContext, path: string, addedViaApi = false): Cluster {
  const type = config.type ?? 'STATIC';
  const factory = registry.get(type);
  if (!factory) throw new ConfigError(`cluster type ${type} is not supported by the outrigger proxy`, `${path}.type`);
  return factory(config, context, path, addedViaApi);
}

/** Hosts from a ClusterLoadAssignment; `requireIp` for STATIC and EDS, where Envoy does not resolve names. */
export function hostsFromAssignment(assignment: ClusterLoadAssignment | undefined, path: string, requireIp: boolean): Host[] {
  const hosts: Host[] = [];
  (assignment?.endpoints ?? []).forEach((locality, i) => {
    (locality.lb_endpoints ?? []).forEach((lbEndpoint, j) => {
      const where = `${path}.endpoints[${i}].lb_endpoints[${j}].endpoint.address.socket_address`;
      const socket = lbEndpoint.endpoint?.address?.socket_address;
      if (!socket) throw new ConfigError('a socket_address is required', where);
      if (requireIp && !net.isIP(socket.address)) throw new ConfigError(`"${socket.address}" is not an IP address (only STRICT_DNS clusters resolve names)`, `${where}.address`);
      if (!socket.port_value) throw new ConfigError('port_value is required', `${where}.port_value`);
      const host = new Host(socket.address, socket.port_value, lbEndpoint.load_balancing_weight ?? 1, lbEndpoint.health_status ?? 'UNKNOWN',
        locality.priority ?? 0, lbEndpoint.endpoint?.hostname ?? '', locality.locality ?? {});
      host.transportSocketMatch = transportSocketMatchOf(lbEndpoint.metadata);
      hosts.push(host);
    });
  });
  return hosts;
}
