// Envoy's consecutive-error outlier detection: a host with consecutive_5xx
// 5xx-class results (or consecutive_gateway_failure 502/503/504-class ones) in
// a row is ejected for base_ejection_time × times ejected (up to
// max_ejection_time), within max_ejection_percent of the cluster. Connect
// failures, resets and timeouts count as 503s, as Envoy does unless
// split_external_local_origin_errors. Success-rate and failure-percentage
// detection are not implemented, so configs must turn success rate off.
import { ConfigError } from '../config/errors.js';
import { durationMs } from '../config/duration.js';
import type { Counter, Gauge, StatsStore } from '../stats.js';
import type { Host } from './host.js';

export interface OutlierDetectionConfig {
  consecutive_5xx?: number;
  consecutive_gateway_failure?: number;
  interval?: string;
  base_ejection_time?: string;
  max_ejection_time?: string;
  max_ejection_percent?: number;
  enforcing_consecutive_5xx?: number;
  enforcing_consecutive_gateway_failure?: number;
  enforcing_success_rate?: number;
  always_eject_one_host?: boolean;
}

export type OutlierResult = { kind: 'http'; status: number } | { kind: 'local-failure' } | { kind: 'success' };

interface HostState {
  consecutive5xx: number;
  consecutiveGateway: number;
  timesEjected: number;
  timer?: NodeJS.Timeout;
}

export class OutlierDetector {
  private readonly consecutive5xx: number;
  private readonly consecutiveGateway: number;
  private readonly enforce5xx: number;
  private readonly enforceGateway: number;
  private readonly baseEjectionMs: number;
  private readonly maxEjectionMs: number;
  private readonly maxEjectionPercent: number;
  private readonly alwaysEjectOne: boolean;
  private readonly state = new WeakMap<Host, HostState>();
  private active = 0;
  private readonly ejectionsActive: Gauge;
  private readonly enforcedTotal: Counter;
  private readonly enforced5xx: Counter;
  private readonly detected5xx: Counter;
  private readonly enforcedGateway: Counter;
  private readonly detectedGateway: Counter;
  private readonly overflow: Counter;

  constructor(config: OutlierDetectionConfig, store: StatsStore, statName: string, path: string, private readonly random: () => number = Math.random) {
    if ((config.enforcing_success_rate ?? 100) !== 0) {
      throw new ConfigError('success-rate outlier detection is not supported by the outrigger proxy: set enforcing_success_rate to 0 (Istio does)', `${path}.enforcing_success_rate`);
    }
    this.consecutive5xx = config.consecutive_5xx ?? 5;
    this.consecutiveGateway = config.consecutive_gateway_failure ?? 5;
    this.enforce5xx = config.enforcing_consecutive_5xx ?? 100;
    this.enforceGateway = config.enforcing_consecutive_gateway_failure ?? 0;
    this.baseEjectionMs = durationMs(config.base_ejection_time, 30_000);
    this.maxEjectionMs = Math.max(durationMs(config.max_ejection_time, 300_000), this.baseEjectionMs);
    this.maxEjectionPercent = config.max_ejection_percent ?? 10;
    this.alwaysEjectOne = config.always_eject_one_host === true;
    const s = store.scope(`cluster.${statName}.outlier_detection`, { name: 'envoy_cluster_name', value: statName, family: 'cluster.outlier_detection' });
    this.ejectionsActive = s.gauge('ejections_active');
    this.enforcedTotal = s.counter('ejections_enforced_total');
    this.enforced5xx = s.counter('ejections_enforced_consecutive_5xx');
    this.detected5xx = s.counter('ejections_detected_consecutive_5xx');
    this.enforcedGateway = s.counter('ejections_enforced_consecutive_gateway_failure');
    this.detectedGateway = s.counter('ejections_detected_consecutive_gateway_failure');
    this.overflow = s.counter('ejections_overflow');
  }

  private stateOf(host: Host): HostState {
    let st = this.state.get(host);
    if (!st) {
      st = { consecutive5xx: 0, consecutiveGateway: 0, timesEjected: 0 };
      this.state.set(host, st);
    }
    return st;
  }

  /** Records one result for a host; `clusterSize` bounds how many hosts may be ejected. */
  report(host: Host, result: OutlierResult, clusterSize: number): void {
    const st = this.stateOf(host);
    const status = result.kind === 'http' ? result.status : result.kind === 'local-failure' ? 503 : 200;
    if (status < 500) {
      st.consecutive5xx = 0;
      st.consecutiveGateway = 0;
      return;
    }
    st.consecutive5xx++;
    if (status === 502 || status === 503 || status === 504) st.consecutiveGateway++;
    else st.consecutiveGateway = 0;
    if (host.ejected) return;
    if (st.consecutiveGateway >= this.consecutiveGateway) {
      this.detectedGateway.inc();
      if (this.enforced(this.enforceGateway) && this.eject(host, st, clusterSize)) this.enforcedGateway.inc();
      st.consecutiveGateway = 0;
    }
    if (!host.ejected && st.consecutive5xx >= this.consecutive5xx) {
      this.detected5xx.inc();
      if (this.enforced(this.enforce5xx) && this.eject(host, st, clusterSize)) this.enforced5xx.inc();
      st.consecutive5xx = 0;
    }
  }

  private enforced(percent: number): boolean {
    return percent >= 100 || (percent > 0 && this.random() * 100 < percent);
  }

  private eject(host: Host, st: HostState, clusterSize: number): boolean {
    const percentAfter = (100 * (this.active + 1)) / Math.max(clusterSize, 1);
    if (percentAfter > this.maxEjectionPercent && !(this.alwaysEjectOne && this.active === 0)) {
      this.overflow.inc();
      return false;
    }
    st.timesEjected++;
    host.ejected = true;
    this.active++;
    this.ejectionsActive.set(this.active);
    this.enforcedTotal.inc();
    const duration = Math.min(this.baseEjectionMs * st.timesEjected, this.maxEjectionMs);
    st.timer = setTimeout(() => {
      host.ejected = false;
      this.active--;
      this.ejectionsActive.set(this.active);
    }, duration);
    st.timer.unref();
    return true;
  }
}
