// Envoy's /clusters: text lines "cluster::host::stat::value" and the
// envoy.admin.v3.Clusters JSON (?format=json). Rendered from statuses rather than
// the runtime clusters so that workers' per-host counters can be merged in.
import type { HealthStatus } from '../config/types.js';
import type { Cluster } from '../upstream/cluster.js';

/** What /clusters shows of a host (a runtime Host is one). */
export interface HostStatus {
  readonly key: string;
  readonly address: string;
  readonly port: number;
  readonly hostname: string;
  readonly health: HealthStatus;
  readonly weight: number;
  readonly priority: number;
  readonly locality: { region?: string; zone?: string; sub_zone?: string };
  readonly ejected: boolean;
  readonly cxActive: number;
  readonly cxTotal: number;
  readonly cxConnectFail: number;
  readonly rqTotal: number;
  readonly rqError: number;
  readonly activeRequests: number;
}

export interface ClusterStatus {
  readonly name: string;
  readonly statName: string;
  readonly addedViaApi: boolean;
  readonly circuitBreakers: { readonly maxConnections: number; readonly maxPendingRequests: number; readonly maxRequests: number; readonly maxRetries: number };
  readonly hosts: readonly HostStatus[];
}

export function clusterStatus(c: Cluster): ClusterStatus {
  return { name: c.name, statName: c.statName, addedViaApi: c.addedViaApi, circuitBreakers: c.circuitBreakers, hosts: c.hosts() };
}

function healthFlags(host: HostStatus): string {
  const flags: string[] = [];
  if (host.ejected) flags.push('/failed_outlier_check');
  if (host.health !== 'HEALTHY' && host.health !== 'UNKNOWN') flags.push(`/eds_${host.health.toLowerCase()}`);
  return flags.length === 0 ? 'healthy' : flags.join('');
}

export function renderClustersText(clusters: readonly ClusterStatus[]): string {
  let out = '';
  for (const c of clusters) {
    const n = c.name;
    out += `${n}::observability_name::${c.statName}\n`;
    const cb = c.circuitBreakers;
    out += `${n}::default_priority::max_connections::${cb.maxConnections}\n${n}::default_priority::max_pending_requests::${cb.maxPendingRequests}\n`;
    out += `${n}::default_priority::max_requests::${cb.maxRequests}\n${n}::default_priority::max_retries::${cb.maxRetries}\n`;
    out += `${n}::high_priority::max_connections::1024\n${n}::high_priority::max_pending_requests::1024\n`;
    out += `${n}::high_priority::max_requests::1024\n${n}::high_priority::max_retries::3\n`;
    out += `${n}::added_via_api::${c.addedViaApi}\n`;
    for (const h of c.hosts) {
      const p = `${n}::${h.key}`;
      out += `${p}::cx_active::${h.cxActive}\n${p}::cx_connect_fail::${h.cxConnectFail}\n${p}::cx_total::${h.cxTotal}\n`;
      out += `${p}::rq_active::${h.activeRequests}\n${p}::rq_error::${h.rqError}\n${p}::rq_success::${h.rqTotal - h.rqError}\n`;
      out += `${p}::rq_timeout::0\n${p}::rq_total::${h.rqTotal}\n`;
      out += `${p}::hostname::${h.hostname}\n${p}::health_flags::${healthFlags(h)}\n${p}::weight::${h.weight}\n`;
      out += `${p}::region::${h.locality.region ?? ''}\n${p}::zone::${h.locality.zone ?? ''}\n${p}::sub_zone::${h.locality.sub_zone ?? ''}\n`;
      out += `${p}::canary::false\n${p}::priority::${h.priority}\n${p}::success_rate::-1\n${p}::local_origin_success_rate::-1\n`;
    }
  }
  return out;
}

export function renderClustersJson(clusters: readonly ClusterStatus[]): object {
  return {
    cluster_statuses: clusters.map((c) => ({
      name: c.name,
      observability_name: c.statName,
      added_via_api: c.addedViaApi,
      host_statuses: c.hosts.map((h) => ({
        address: { socket_address: { address: h.address, port_value: h.port } },
        stats: [
          { name: 'cx_connect_fail', value: String(h.cxConnectFail) },
          { name: 'cx_total', value: String(h.cxTotal) },
          { name: 'rq_error', value: String(h.rqError) },
          { name: 'rq_success', value: String(h.rqTotal - h.rqError) },
          { name: 'rq_timeout', value: '0' },
          { name: 'rq_total', value: String(h.rqTotal) },
          { type: 'GAUGE', name: 'cx_active', value: String(h.cxActive) },
          { type: 'GAUGE', name: 'rq_active', value: String(h.activeRequests) },
        ],
        health_status: { eds_health_status: h.health === 'UNKNOWN' ? 'HEALTHY' : h.health, ...(h.ejected ? { failed_outlier_check: true } : {}) },
        weight: h.weight,
        ...(h.hostname ? { hostname: h.hostname } : {}),
        locality: h.locality,
        ...(h.priority ? { priority: h.priority } : {}),
      })),
      circuit_breakers: {
        thresholds: [
          { max_connections: c.circuitBreakers.maxConnections, max_pending_requests: c.circuitBreakers.maxPendingRequests, max_requests: c.circuitBreakers.maxRequests, max_retries: c.circuitBreakers.maxRetries },
          { priority: 'HIGH', max_connections: 1024, max_pending_requests: 1024, max_requests: 1024, max_retries: 3 },
        ],
      },
    })),
  };
}
