// The per-cluster stats Envoy publishes under "cluster.<name>.", resolved once.
import type { Counter, Gauge, StatsStore } from '../stats.js';

export class ClusterStats {
  readonly upstream_cx_total: Counter;
  readonly upstream_cx_active: Gauge;
  readonly upstream_cx_connect_fail: Counter;
  readonly upstream_cx_connect_timeout: Counter;
  readonly upstream_cx_connect_attempts_exceeded: Counter;
  readonly upstream_cx_none_healthy: Counter;
  readonly upstream_cx_destroy: Counter;
  readonly upstream_cx_destroy_local: Counter;
  readonly upstream_cx_destroy_remote: Counter;
  readonly upstream_cx_rx_bytes_total: Counter;
  readonly upstream_cx_tx_bytes_total: Counter;
  readonly membership_total: Gauge;
  readonly membership_healthy: Gauge;
  readonly membership_change: Counter;
  readonly lb_healthy_panic: Counter;
  readonly update_success: Counter;
  readonly update_failure: Counter;
  readonly upstream_rq_total: Counter;
  readonly upstream_rq_active: Gauge;
  readonly upstream_rq_completed: Counter;
  readonly upstream_rq_retry: Counter;
  readonly upstream_rq_timeout: Counter;
  readonly upstream_rq_per_try_timeout: Counter;
  readonly upstream_rq_pending_failure_eject: Counter;
  /** Requests whose body was too big to buffer, so they were neither retried nor mirrored. */
  readonly retry_or_shadow_abandoned: Counter;
  /** Connections closed because they had carried max_requests_per_connection requests. */
  readonly upstream_cx_max_requests: Counter;
  /** upstream_rq_1xx .. upstream_rq_5xx, indexed by the status class. */
  readonly upstream_rq_class: readonly Counter[];

  constructor(store: StatsStore, statName: string) {
    const s = store.scope(`cluster.${statName}`, { name: 'envoy_cluster_name', value: statName, family: 'cluster' });
    this.upstream_cx_total = s.counter('upstream_cx_total');
    this.upstream_cx_active = s.gauge('upstream_cx_active');
    this.upstream_cx_connect_fail = s.counter('upstream_cx_connect_fail');
    this.upstream_cx_connect_timeout = s.counter('upstream_cx_connect_timeout');
    this.upstream_cx_connect_attempts_exceeded = s.counter('upstream_cx_connect_attempts_exceeded');
    this.upstream_cx_none_healthy = s.counter('upstream_cx_none_healthy');
    this.upstream_cx_destroy = s.counter('upstream_cx_destroy');
    this.upstream_cx_destroy_local = s.counter('upstream_cx_destroy_local');
    this.upstream_cx_destroy_remote = s.counter('upstream_cx_destroy_remote');
    this.upstream_cx_rx_bytes_total = s.counter('upstream_cx_rx_bytes_total');
    this.upstream_cx_tx_bytes_total = s.counter('upstream_cx_tx_bytes_total');
    this.membership_total = s.gauge('membership_total');
    this.membership_healthy = s.gauge('membership_healthy');
    this.membership_change = s.counter('membership_change');
    this.lb_healthy_panic = s.counter('lb_healthy_panic');
    this.update_success = s.counter('update_success');
    this.update_failure = s.counter('update_failure');
    this.upstream_rq_total = s.counter('upstream_rq_total');
    this.upstream_rq_active = s.gauge('upstream_rq_active');
    this.upstream_rq_completed = s.counter('upstream_rq_completed');
    this.upstream_rq_retry = s.counter('upstream_rq_retry');
    this.upstream_rq_timeout = s.counter('upstream_rq_timeout');
    this.upstream_rq_per_try_timeout = s.counter('upstream_rq_per_try_timeout');
    this.upstream_rq_pending_failure_eject = s.counter('upstream_rq_pending_failure_eject');
    this.retry_or_shadow_abandoned = s.counter('retry_or_shadow_abandoned');
    this.upstream_cx_max_requests = s.counter('upstream_cx_max_requests');
    this.upstream_rq_class = [1, 2, 3, 4, 5].map((c) => s.counter(`upstream_rq_${c}xx`));
  }
}
