// `proxy-status`: istioctl's table of every connected proxy and, per xDS type,
// whether what the control plane last sent has been acknowledged.
import { renderTable } from './table.js';

type Obj = Record<string, any>;

const columns: [string, string][] = [
  ['CDS', 'type.googleapis.com/envoy.config.cluster.v3.Cluster'],
  ['LDS', 'type.googleapis.com/envoy.config.listener.v3.Listener'],
  ['EDS', 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment'],
  ['RDS', 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration'],
];

/** SYNCED: the last version sent was acknowledged; STALE: it was not (yet), or was refused; NOT SENT; IGNORED: not subscribed. */
export function syncStatus(watch: Obj | undefined): string {
  if (!watch) return 'IGNORED';
  if (!watch['sent']) return 'NOT SENT';
  if (watch['nack']) return `STALE (NACK: ${String(watch['nack']['message']).slice(0, 60)})`;
  return watch['acked'] === watch['sent'] ? 'SYNCED' : 'STALE';
}

/** "sidecar~10.4.1.5~reviews-v1-x.default~default.svc.cluster.local" → "reviews-v1-x.default". */
export function proxyName(nodeId: string): string {
  return nodeId.split('~')[2] ?? nodeId;
}

export function proxyStatusRows(syncz: readonly Obj[], discoveryName: string): string[][] {
  return [...syncz]
    .sort((a, b) => proxyName(String(a['proxy'])).localeCompare(proxyName(String(b['proxy']))))
    .map((entry) => {
      const watches = (entry['watches'] as Obj[] | undefined) ?? [];
      const byType = new Map(watches.map((w) => [String(w['typeUrl']), w]));
      const versions = [...new Set(watches.map((w) => w['acked']).filter(Boolean))];
      return [proxyName(String(entry['proxy'])), 'Kubernetes', ...columns.map(([, type]) => syncStatus(byType.get(type))), discoveryName, String(versions[0] ?? '')];
    });
}

export function renderProxyStatus(syncz: readonly Obj[], discoveryName: string): string {
  return renderTable(['NAME', 'CLUSTER', ...columns.map(([name]) => name), 'ISTIOD', 'VERSION'], proxyStatusRows(syncz, discoveryName));
}
