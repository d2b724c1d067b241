// Envoy's circuit breakers for the DEFAULT routing priority: limits on a
// cluster's open connections, requests, pending requests and concurrent
// retries. Exceeding one fails fast (overflow) instead of queueing without bound.
import type { Counter, Gauge, StatsStore } from '../stats.js';

export interface ThresholdsConfig {
  priority?: 'DEFAULT' | 'HIGH';
  max_connections?: number;
  max_pending_requests?: number;
  max_requests?: number;
  max_retries?: number;
}

/** Envoy's defaults. */
export const DEFAULT_THRESHOLDS = { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 } as const;

export class CircuitBreakers {
  readonly maxConnections: number;
  readonly maxPendingRequests: number;
  readonly maxRequests: number;
  readonly maxRetries: number;
  activeRetries = 0;
  readonly cxOverflow: Counter;
  readonly rqPendingOverflow: Counter;
  readonly rqRetryOverflow: Counter;
  private readonly cxOpen: Gauge;
  private readonly rqOpen: Gauge;
  private readonly rqRetryOpen: Gauge;

  constructor(thresholds: readonly ThresholdsConfig[] | undefined, store: StatsStore, statName: string) {
    const t = (thresholds ?? []).find((x) => (x.priority ?? 'DEFAULT') === 'DEFAULT') ?? {};
    this.maxConnections = t.max_connections ?? DEFAULT_THRESHOLDS.maxConnections;
    this.maxPendingRequests = t.max_pending_requests ?? DEFAULT_THRESHOLDS.maxPendingRequests;
    this.maxRequests = t.max_requests ?? DEFAULT_THRESHOLDS.maxRequests;
    this.maxRetries = t.max_retries ?? DEFAULT_THRESHOLDS.maxRetries;
    const s = store.scope(`cluster.${statName}`, { name: 'envoy_cluster_name', value: statName, family: 'cluster' });
    this.cxOverflow = s.counter('upstream_cx_overflow');
    this.rqPendingOverflow = s.counter('upstream_rq_pending_overflow');
    this.rqRetryOverflow = s.counter('upstream_rq_retry_overflow');
    this.cxOpen = s.gauge('circuit_breakers.default.cx_open');
    this.rqOpen = s.gauge('circuit_breakers.default.rq_open');
    this.rqRetryOpen = s.gauge('circuit_breakers.default.rq_retry_open');
  }

  /** TCP: may another upstream connection open? */
  canConnect(activeConnections: number): boolean {
    const ok = activeConnections < this.maxConnections;
    this.cxOpen.set(ok && activeConnections + 1 < this.maxConnections ? 0 : 1);
    if (!ok) this.cxOverflow.inc();
    return ok;
  }

  /**
   * HTTP: may another request start? Requests beyond the connection limit wait for a connection
   * (pending), up to max_pending_requests; beyond max_requests nothing more starts.
   */
  canRequest(activeRequests: number): boolean {
    const overRequests = activeRequests >= this.maxRequests;
    const overPending = activeRequests - this.maxConnections >= this.maxPendingRequests;
    this.rqOpen.set(overRequests ? 1 : 0);
    if (overRequests || overPending) {
      this.rqPendingOverflow.inc();
      return false;
    }
    return true;
  }

  /** Starts a retry if the concurrent-retry budget allows; call endRetry when it finishes. */
  tryRetry(): boolean {
    if (this.activeRetries >= this.maxRetries) {
      this.rqRetryOverflow.inc();
      this.rqRetryOpen.set(1);
      return false;
    }
    this.activeRetries++;
    return true;
  }

  endRetry(): void {
    this.activeRetries--;
    if (this.activeRetries < this.maxRetries) this.rqRetryOpen.set(0);
  }
}
