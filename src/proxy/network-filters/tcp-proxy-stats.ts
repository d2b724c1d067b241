// Envoy's tcp_proxy stats, under "tcp.<stat_prefix>.".
import type { Counter, Gauge, StatsStore } from '../stats.js';

export class TcpProxyStats {
  readonly downstream_cx_total: Counter;
  readonly downstream_cx_no_route: Counter;
  readonly downstream_cx_rx_bytes_total: Counter;
  readonly downstream_cx_tx_bytes_total: Counter;
  readonly downstream_flow_control_paused_reading_total: Counter;
  readonly downstream_flow_control_resumed_reading_total: Counter;
  readonly upstream_flush_total: Counter;
  readonly upstream_flush_active: Gauge;
  readonly idle_timeout: Counter;

  constructor(store: StatsStore, prefix: string) {
    const s = store.scope(`tcp.${prefix}`, { name: 'envoy_tcp_prefix', value: prefix, family: 'tcp' });
    this.downstream_cx_total = s.counter('downstream_cx_total');
    this.downstream_cx_no_route = s.counter('downstream_cx_no_route');
    this.downstream_cx_rx_bytes_total = s.counter('downstream_cx_rx_bytes_total');
    this.downstream_cx_tx_bytes_total = s.counter('downstream_cx_tx_bytes_total');
    this.downstream_flow_control_paused_reading_total = s.counter('downstream_flow_control_paused_reading_total');
    this.downstream_flow_control_resumed_reading_total = s.counter('downstream_flow_control_resumed_reading_total');
    this.upstream_flush_total = s.counter('upstream_flush_total');
    this.upstream_flush_active = s.gauge('upstream_flush_active');
    this.idle_timeout = s.counter('idle_timeout');
  }
}
