// Envoy's HTTP connection manager stats, under "http.<stat_prefix>.".
import type { Counter, Gauge, StatsStore } from '../stats.js';

export class HttpStats {
  readonly downstream_cx_total: Counter;
  readonly downstream_cx_active: Gauge;
  readonly downstream_cx_protocol_error: Counter;
  readonly downstream_rq_total: Counter;
  readonly downstream_rq_http1_total: Counter;
  readonly downstream_rq_http2_total: Counter;
  readonly downstream_rq_active: Gauge;
  readonly downstream_rq_completed: Counter;
  readonly downstream_rq_rx_reset: Counter;
  readonly downstream_rq_timeout: Counter;
  /** downstream_rq_1xx .. downstream_rq_5xx. */
  readonly downstream_rq_class: readonly Counter[];
  readonly no_route: Counter;
  readonly no_cluster: Counter;
  readonly rq_direct_response: Counter;
  readonly rq_redirect: Counter;
  /** Upgrades (WebSocket) allowed through, in total and still open; and those refused with 403. */
  readonly downstream_cx_upgrades_total: Counter;
  readonly downstream_cx_upgrades_active: Gauge;
  readonly downstream_rq_ws_on_non_ws_route: Counter;

  constructor(store: StatsStore, prefix: string) {
    const s = store.scope(`http.${prefix}`, { name: 'envoy_http_conn_manager_prefix', value: prefix, family: 'http' });
    this.downstream_cx_total = s.counter('downstream_cx_total');
    this.downstream_cx_active = s.gauge('downstream_cx_active');
    this.downstream_cx_protocol_error = s.counter('downstream_cx_protocol_error');
    this.downstream_rq_total = s.counter('downstream_rq_total');
    this.downstream_rq_http1_total = s.counter('downstream_rq_http1_total');
    this.downstream_rq_http2_total = s.counter('downstream_rq_http2_total');
    this.downstream_rq_active = s.gauge('downstream_rq_active');
    this.downstream_rq_completed = s.counter('downstream_rq_completed');
    this.downstream_rq_rx_reset = s.counter('downstream_rq_rx_reset');
    this.downstream_rq_timeout = s.counter('downstream_rq_timeout');
    this.downstream_rq_class = [1, 2, 3, 4, 5].map((c) => s.counter(`downstream_rq_${c}xx`));
    this.no_route = s.counter('no_route');
    this.no_cluster = s.counter('no_cluster');
    this.rq_direct_response = s.counter('rq_direct_response');
    this.rq_redirect = s.counter('rq_redirect');
    this.downstream_cx_upgrades_total = s.counter('downstream_cx_upgrades_total');
    this.downstream_cx_upgrades_active = s.gauge('downstream_cx_upgrades_active');
    this.downstream_rq_ws_on_non_ws_route = s.counter('downstream_rq_ws_on_non_ws_route');
  }
}
