// The runtime listener, built once from a decoded Listener: its address, its
// listener filters, and its filter chains with their network filters already
// constructed. Nothing here reads config again on the data path.
import { ConfigError } from './config/errors.js';
import { durationMs } from './config/duration.js';
import type { FilterChain, Listener as ListenerConfig } from './config/types.js';
import { checkDistinctMatches, compileChainMatch, selectFilterChain } from './filter-chain-match.js';
import type { CompiledChainMatch } from './filter-chain-match.js';
import type { DownstreamConnection } from './downstream.js';
import { listenerFilterFactory } from './listener-filters/index.js';
import type { ListenerFilter } from './listener-filters/index.js';
import { networkFilterFactory } from './network-filters/index.js';
import type { FactoryContext, NetworkFilterMaker } from './network-filters/index.js';
import { ListenerStats, listenerStatName } from './listener-stats.js';
import { listenerAddresses } from './listener-address.js';
import type { ListenerAddress } from './listener-address.js';
import { typeUrls } from './config/protos.js';
import { ORIGINAL_DST_NAMES } from './listener-filters/original-dst.js';
import { downstreamTransportSocket, SecretStore } from './transport-sockets/index.js';
import type { DownstreamTls } from './transport-sockets/index.js';

/** Envoy's default listener_filters_timeout. */
export const DEFAULT_LISTENER_FILTERS_TIMEOUT_MS = 15_000;

export interface FilterChainRuntime {
  name: string;
  filters: readonly NetworkFilterMaker[];
  /** transport_socket envoy.transport_sockets.tls: TLS is terminated before the filters run. */
  tls: DownstreamTls | undefined;
}

export class ListenerRuntime {
  readonly name: string;
  /** `address` then `additional_addresses`: each is bound, all run the same chains. */
  readonly addresses: readonly ListenerAddress[];
  readonly bindToPort: boolean;
  readonly useOriginalDst: boolean;
  readonly transparent: boolean;
  readonly backlog: number | undefined;
  readonly listenerFilters: readonly (() => ListenerFilter)[];
  readonly listenerFiltersTimeoutMs: number;
  readonly continueOnListenerFiltersTimeout: boolean;
  readonly chainMatches: readonly CompiledChainMatch[];
  readonly chains: readonly FilterChainRuntime[];
  readonly defaultChain: FilterChainRuntime | undefined;
  readonly stats: ListenerStats;
  readonly lastUpdated = new Date();

  constructor(
    readonly config: ListenerConfig,
    context: FactoryContext,
    path: string,
    readonly addedViaApi = false,
    /** The xDS version that delivered this listener (config_dump's version_info). */
    readonly versionInfo?: string,
  ) {
    this.name = config.name;
    this.addresses = listenerAddresses(config, path);
    this.bindToPort = config.bind_to_port ?? true;
    this.useOriginalDst = config.use_original_dst ?? false;
    this.transparent = config.transparent ?? false;
    this.backlog = config.tcp_backlog_size;
    const configured = config.listener_filters ?? [];
    const filters = configured.map((f, i) =>
      listenerFilterFactory(f.name, f.typed_config, `${path}.listener_filters[${i}]("${f.name}")`),
    );
    // As in Envoy, use_original_dst implies the original_dst listener filter, first: Istio's
    // virtualOutbound names none and relies on this to hand connections to 0.0.0.0_<port>.
    if (this.useOriginalDst && !configured.some((f) => ORIGINAL_DST_NAMES.includes(f.name) || f.typed_config?.['@type'] === typeUrls.originalDst)) {
      filters.unshift(listenerFilterFactory(ORIGINAL_DST_NAMES[0]!, undefined, `${path}.use_original_dst`));
    }
    this.listenerFilters = filters;
    this.listenerFiltersTimeoutMs = durationMs(config.listener_filters_timeout, DEFAULT_LISTENER_FILTERS_TIMEOUT_MS);
    this.continueOnListenerFiltersTimeout = config.continue_on_listener_filters_timeout ?? false;
    const chains = config.filter_chains ?? [];
    checkDistinctMatches(chains.map((c) => c.filter_chain_match), path);
    this.chainMatches = chains.map((c, i) => compileChainMatch(c.filter_chain_match, `${path}.filter_chains[${i}].filter_chain_match`));
    this.chains = chains.map((c, i) => buildChain(c, context, `${path}.filter_chains[${i}]`));
    this.defaultChain = config.default_filter_chain ? buildChain(config.default_filter_chain, context, `${path}.default_filter_chain`) : undefined;
    if (this.chains.length === 0 && !this.defaultChain) throw new ConfigError('a listener needs filter_chains or a default_filter_chain', path);
    this.stats = new ListenerStats(context.stats, config.stat_prefix || listenerStatName(this.address, this.port));
  }

  /** The primary address (Envoy's `address`), which names the listener's stats. */
  get address(): string {
    return this.addresses[0]!.address;
  }

  /** The primary address's configured port; 0 asks the kernel for one (see boundPort). */
  get port(): number {
    return this.addresses[0]!.port;
  }

  get ipv6Only(): boolean {
    return this.addresses[0]!.ipv6Only;
  }

  get boundPort(): number {
    return this.addresses[0]!.boundPort;
  }

  set boundPort(port: number) {
    this.addresses[0]!.boundPort = port;
  }

  /** Releases what the filter factories built; connections already accepted keep working. */
  close(): void {
    for (const chain of [...this.chains, ...(this.defaultChain ? [this.defaultChain] : [])]) for (const make of chain.filters) make.close?.();
  }

  /** The chain for a connection whose listener filters have run. */
  selectChain(connection: DownstreamConnection): FilterChainRuntime | undefined {
    const index = selectFilterChain(this.chainMatches, {
      destinationIp: connection.localAddress.address,
      destinationPort: connection.localAddress.port,
      sourceIp: connection.remoteAddress.address,
      sourcePort: connection.remoteAddress.port,
      directSourceIp: connection.remoteAddress.address,
      serverName: connection.serverName,
      transportProtocol: connection.transportProtocol,
      applicationProtocols: connection.applicationProtocols,
    });
    return index >= 0 ? this.chains[index] : this.defaultChain;
  }
}

function buildChain(chain: FilterChain, context: FactoryContext, path: string): FilterChainRuntime {
  const filters = chain.filters ?? [];
  if (filters.length === 0) throw new ConfigError('a filter chain needs at least one network filter', `${path}.filters`);
  const made = filters.map((f, i) => {
    const where = `${path}.filters[${i}]("${f.name}")`;
    const factory = networkFilterFactory(f.name, f.typed_config, where);
    if (factory.terminal && i !== filters.length - 1) throw new ConfigError(`"${f.name}" is a terminal filter and must be the last in the chain`, where);
    if (!factory.terminal && i === filters.length - 1) throw new ConfigError(`the last filter must be a terminal filter such as envoy.filters.network.tcp_proxy, not "${f.name}"`, where);
    return factory.create(f.typed_config, context, where);
  });
  const tls = downstreamTransportSocket(chain.transport_socket, context.secrets ?? new SecretStore(), `${path}.transport_socket`);
  return { name: chain.name ?? '', filters: made, tls };
}
