// Envoy's per-listener stats, under "listener.<stat_prefix or address>.".
import type { Counter, Gauge, StatsStore } from './stats.js';
import { SslStats } from './transport-sockets/ssl-stats.js';

/** Envoy's stat name for a listener address: "0.0.0.0_15001", "[__]_15001". */
export function listenerStatName(address: string, port: number): string {
  const host = address.includes(':') ? `[${address}]` : address;
  return `${host}:${port}`.replace(/:/g, '_');
}

export class ListenerStats {
  readonly downstream_cx_total: Counter;
  readonly downstream_cx_active: Gauge;
  readonly downstream_cx_destroy: Counter;
  readonly downstream_pre_cx_active: Gauge;
  readonly downstream_pre_cx_timeout: Counter;
  readonly no_filter_chain_match: Counter;
  readonly downstream_listener_filter_error: Counter;
  /** TLS termination on the listener's chains: listener.<address>.ssl.*. */
  readonly ssl: SslStats;

  constructor(store: StatsStore, statName: string) {
    const s = store.scope(`listener.${statName}`, { name: 'envoy_listener_address', value: statName, family: 'listener' });
    this.downstream_cx_total = s.counter('downstream_cx_total');
    this.downstream_cx_active = s.gauge('downstream_cx_active');
    this.downstream_cx_destroy = s.counter('downstream_cx_destroy');
    this.downstream_pre_cx_active = s.gauge('downstream_pre_cx_active');
    this.downstream_pre_cx_timeout = s.counter('downstream_pre_cx_timeout');
    this.no_filter_chain_match = s.counter('no_filter_chain_match');
    this.downstream_listener_filter_error = s.counter('downstream_listener_filter_error');
    this.ssl = new SslStats(s);
  }
}
