// envoy.filters.http.fault: injects delays and aborts into a share of requests,
// which is how Istio's VirtualService `fault` works. The filter's own config
// (often empty) is the default; a route's, virtual host's or route
// configuration's typed_per_filter_config entry replaces it whole. A delayed
// request then goes on (or is aborted, when both are chosen); an aborted one is
// answered here with "fault filter abort".
import { ConfigError } from '../config/errors.js';
import { durationMs } from '../config/duration.js';
import type { JsonObject } from '../config/proto-json.js';
import { typeUrls } from '../config/protos.js';
import type { Random } from '../load-balancers/index.js';
import type { Counter, Gauge, StatsStore } from '../stats.js';
import { compileFractionalPercent, fractionSelected, NEVER } from './fractional-percent.js';
import type { FractionalPercent, FractionalPercentConfig } from './fractional-percent.js';
import { matchableHeader, perRouteConfig, registerHttpFilter } from './http-filter.js';
import type { HttpFilter, HttpFilterFactoryContext, HttpFilterStatus, HttpRequestContext } from './http-filter.js';
import { sendLocalReply } from './local-reply.js';
import { compileHeaderMatcher } from './route-match.js';
import type { HeaderMatcherConfig, RequestInfo } from './route-match.js';

/**
 * HTTPFault as decoded. The *_runtime fields name runtime keys that would override the values;
 * the proxy has no runtime layer, so the configured values apply, as in Envoy with the keys unset.
 * filter_metadata only annotates. response_rate_limit and upstream_cluster are not implemented
 * (not listed in config/support.ts, so they are refused by name).
 */
interface HttpFaultConfig {
  delay?: { fixed_delay?: string; header_delay?: JsonObject; percentage?: FractionalPercentConfig };
  abort?: { http_status?: number; grpc_status?: number; header_abort?: JsonObject; percentage?: FractionalPercentConfig };
  headers?: HeaderMatcherConfig[];
  downstream_nodes?: string[];
  max_active_faults?: number;
  disable_downstream_cluster_stats?: boolean;
}

/** Envoy's request headers that drive header_delay and header_abort, and name the caller. */
const HEADER = {
  delay: 'x-envoy-fault-delay-request',
  delayPercentage: 'x-envoy-fault-delay-request-percentage',
  abort: 'x-envoy-fault-abort-request',
  abortGrpc: 'x-envoy-fault-abort-grpc-request',
  abortPercentage: 'x-envoy-fault-abort-request-percentage',
  downstreamCluster: 'x-envoy-downstream-service-cluster',
  downstreamNode: 'x-envoy-downstream-service-node',
} as const;

export const FAULT_ABORT_BODY = 'fault filter abort';

export interface FaultSettings {
  /** false when there is neither a delay nor an abort: the filter passes the request on untouched. */
  injects: boolean;
  /** A fixed delay in ms, or 'header' (x-envoy-fault-delay-request). */
  delay?: { ms: number | 'header'; percentage: FractionalPercent };
  /** An HTTP status, a gRPC status, or 'header' (x-envoy-fault-abort-request / -grpc-request). */
  abort?: { status: { http: number } | { grpc: number } | 'header'; percentage: FractionalPercent };
  headers: readonly ((request: RequestInfo) => boolean)[];
  downstreamNodes: ReadonlySet<string> | undefined;
  maxActiveFaults: number;
  downstreamClusterStats: boolean;
}

export function compileFaultSettings(config: JsonObject | undefined, path: string): FaultSettings {
  const c = (config ?? {}) as HttpFaultConfig;
  let delay: FaultSettings['delay'];
  if (c.delay) {
    const percentage = compileFractionalPercent(c.delay.percentage, NEVER);
    if (c.delay.header_delay) delay = { ms: 'header', percentage };
    else {
      const ms = durationMs(c.delay.fixed_delay, 0);
      if (!(ms > 0)) throw new ConfigError('fixed_delay must be greater than 0s', `${path}.delay.fixed_delay`);
      delay = { ms, percentage };
    }
  }
  let abort: FaultSettings['abort'];
  if (c.abort) {
    const percentage = compileFractionalPercent(c.abort.percentage, NEVER);
    if (c.abort.http_status !== undefined) abort = { status: { http: c.abort.http_status }, percentage };
    else if (c.abort.grpc_status !== undefined) abort = { status: { grpc: c.abort.grpc_status }, percentage };
    else if (c.abort.header_abort) abort = { status: 'header', percentage };
    else throw new ConfigError('an abort needs http_status, grpc_status or header_abort', `${path}.abort`);
  }
  return {
    injects: delay !== undefined || abort !== undefined,
    ...(delay ? { delay } : {}),
    ...(abort ? { abort } : {}),
    headers: (c.headers ?? []).map((h, i) => compileHeaderMatcher(h, `${path}.headers[${i}]`)),
    downstreamNodes: c.downstream_nodes?.length ? new Set(c.downstream_nodes) : undefined,
    maxActiveFaults: c.max_active_faults ?? Infinity,
    downstreamClusterStats: c.disable_downstream_cluster_stats !== true,
  };
}

/** Envoy's fault stats under "http.<stat_prefix>.fault.", and per calling cluster under "fault.<downstream cluster>.". */
class FaultStats {
  readonly delays_injected: Counter;
  readonly aborts_injected: Counter;
  readonly faults_overflow: Counter;
  readonly active_faults: Gauge;
  private readonly byDownstream = new Map<string, { delays_injected: Counter; aborts_injected: Counter }>();
  private readonly tag: readonly [string, string];

  constructor(private readonly store: StatsStore, private readonly statPrefix: string) {
    const s = store.scope(`http.${statPrefix}`, { name: 'envoy_http_conn_manager_prefix', value: statPrefix, family: 'http' });
    this.delays_injected = s.counter('fault.delays_injected');
    this.aborts_injected = s.counter('fault.aborts_injected');
    this.faults_overflow = s.counter('fault.faults_overflow');
    this.active_faults = s.gauge('fault.active_faults');
    this.tag = ['envoy_http_conn_manager_prefix', statPrefix];
  }

  downstream(cluster: string): { delays_injected: Counter; aborts_injected: Counter } {
    let stats = this.byDownstream.get(cluster);
    if (!stats) {
      // Envoy's tag extractor turns the cluster into the envoy_fault_downstream_cluster label.
      const tags = [this.tag, ['envoy_fault_downstream_cluster', cluster]] as const;
      const name = (stat: string) => `http.${this.statPrefix}.fault.${cluster}.${stat}`;
      stats = {
        delays_injected: this.store.get('counter', name('delays_injected'), 'envoy_http_fault_delays_injected', tags),
        aborts_injected: this.store.get('counter', name('aborts_injected'), 'envoy_http_fault_aborts_injected', tags),
      };
      this.byDownstream.set(cluster, stats);
    }
    return stats;
  }
}

interface FaultRuntime {
  name: string;
  settings: FaultSettings;
  stats: FaultStats;
  random: Random;
}

class FaultFilter implements HttpFilter {
  constructor(private readonly runtime: FaultRuntime) {}

  decodeHeaders(ctx: HttpRequestContext): HttpFilterStatus | Promise<HttpFilterStatus> {
    const settings = perRouteConfig<FaultSettings>(ctx, this.runtime.name) ?? this.runtime.settings;
    if (!settings.injects) return 'continue';
    const method = ctx.request.method ?? 'GET';
    const header = (name: string) => matchableHeader(ctx.headers, method, ctx.path, name);
    if (settings.downstreamNodes && !settings.downstreamNodes.has(header(HEADER.downstreamNode) ?? '')) return 'continue';
    if (settings.headers.length > 0) {
      const info: RequestInfo = { path: ctx.path, header };
      if (!settings.headers.every((matches) => matches(info))) return 'continue';
    }
    const downstreamCluster = settings.downstreamClusterStats ? header(HEADER.downstreamCluster) : undefined;
    const delayMs = this.delayMs(settings, header);
    if (delayMs !== undefined && this.activate(settings, ctx)) {
      this.runtime.stats.delays_injected.inc();
      if (downstreamCluster) this.runtime.stats.downstream(downstreamCluster).delays_injected.inc();
      ctx.responseFlags.add('DI');
      return this.delay(ctx, delayMs, () => this.abortAfterDelay(settings, ctx, header, downstreamCluster));
    }
    const status = this.abortStatus(settings, header);
    if (status && this.activate(settings, ctx)) {
      this.abort(ctx, status, downstreamCluster);
      return 'stop';
    }
    return 'continue';
  }

  /** The delay for this request, when it is one of the delayed share. */
  private delayMs(settings: FaultSettings, header: (name: string) => string | undefined): number | undefined {
    const delay = settings.delay;
    if (!delay) return undefined;
    const fromHeader = delay.ms === 'header';
    const percentage = fromHeader ? headerPercentage(header(HEADER.delayPercentage), delay.percentage) : delay.percentage;
    if (!fractionSelected(percentage, this.runtime.random)) return undefined;
    const ms = fromHeader ? unsignedInteger(header(HEADER.delay)) : (delay.ms as number);
    return ms !== undefined && ms > 0 ? ms : undefined;
  }

  private abortStatus(settings: FaultSettings, header: (name: string) => string | undefined): { http: number } | { grpc: number } | undefined {
    const abort = settings.abort;
    if (!abort) return undefined;
    if (abort.status !== 'header') return fractionSelected(abort.percentage, this.runtime.random) ? abort.status : undefined;
    if (!fractionSelected(headerPercentage(header(HEADER.abortPercentage), abort.percentage), this.runtime.random)) return undefined;
    // The HTTP status header wins over the gRPC one; a status outside 200..599 is ignored.
    const http = unsignedInteger(header(HEADER.abort));
    if (http !== undefined && http >= 200 && http < 600) return { http };
    const grpc = unsignedInteger(header(HEADER.abortGrpc));
    return grpc !== undefined ? { grpc } : undefined;
  }

  /** Counts the fault as active until its stream ends; past max_active_faults it is not injected (faults_overflow). */
  private activate(settings: FaultSettings, ctx: HttpRequestContext): boolean {
    const active = this.runtime.stats.active_faults;
    if (active.value >= settings.maxActiveFaults) {
      this.runtime.stats.faults_overflow.inc();
      return false;
    }
    active.inc();
    ctx.response.once('close', () => active.dec());
    return true;
  }

  private delay(ctx: HttpRequestContext, ms: number, then: () => HttpFilterStatus): Promise<HttpFilterStatus> {
    return new Promise((resolve) => {
      // A client that goes away while delayed ends the request here.
      const onClose = () => {
        clearTimeout(timer);
        resolve('stop');
      };
      const timer = setTimeout(() => {
        ctx.response.removeListener('close', onClose);
        resolve(then());
      }, ms);
      ctx.response.once('close', onClose);
    });
  }

  /** A delayed request may be aborted too (drawn after the delay, as Envoy does); it is already an active fault. */
  private abortAfterDelay(settings: FaultSettings, ctx: HttpRequestContext, header: (name: string) => string | undefined, downstreamCluster: string | undefined): HttpFilterStatus {
    const status = this.abortStatus(settings, header);
    if (!status) return 'continue';
    this.abort(ctx, status, downstreamCluster);
    return 'stop';
  }

  private abort(ctx: HttpRequestContext, status: { http: number } | { grpc: number }, downstreamCluster: string | undefined): void {
    this.runtime.stats.aborts_injected.inc();
    if (downstreamCluster) this.runtime.stats.downstream(downstreamCluster).aborts_injected.inc();
    ctx.responseFlags.add('FI');
    // As Envoy: a gRPC status aborts with HTTP 200 and that status, which a gRPC request gets as
    // its grpc-status (and anything else as a plain 200); an HTTP status reaches a gRPC client
    // mapped to a gRPC one by the local reply.
    if ('grpc' in status) sendLocalReply(ctx, 200, FAULT_ABORT_BODY, {}, 'fault_filter_abort', status.grpc);
    else sendLocalReply(ctx, status.http, FAULT_ABORT_BODY, {}, 'fault_filter_abort');
  }
}

/** A percentage header gives the numerator over the configured denominator, capped by the configured numerator. */
function headerPercentage(value: string | undefined, configured: FractionalPercent): FractionalPercent {
  const n = unsignedInteger(value);
  return n === undefined ? configured : { numerator: Math.min(n, configured.numerator), denominator: configured.denominator };
}

function unsignedInteger(value: string | undefined): number | undefined {
  return value !== undefined && /^\d{1,10}$/.test(value.trim()) ? Number(value.trim()) : undefined;
}

registerHttpFilter({
  names: ['envoy.filters.http.fault', 'envoy.fault'],
  typeUrl: typeUrls.fault,
  factory: {
    terminal: false,
    create(typedConfig, context: HttpFilterFactoryContext, path) {
      const runtime: FaultRuntime = {
        name: context.filterName,
        settings: compileFaultSettings(typedConfig, `${path}.typed_config`),
        stats: new FaultStats(context.stats, context.statPrefix),
        random: context.random,
      };
      const filter = new FaultFilter(runtime);
      return () => filter;
    },
    perRouteConfig: (typedConfig, path) => compileFaultSettings(typedConfig, path),
  },
});
