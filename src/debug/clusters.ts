// `proxy-config cluster` and `proxy-config endpoint`, as istioctl prints them.
import { renderTable } from './table.js';
import { describeConfigSource } from './routes.js';

type Obj = Record<string, any>;

export interface ClusterFilter {
  fqdn?: string;
  port?: number;
  subset?: string;
  direction?: string;
}

function parseName(name: string): { fqdn: string; port: string; subset: string; direction: string } {
  const parts = name.split('|');
  if (parts.length === 4 && (parts[0] === 'inbound' || parts[0] === 'outbound')) {
    return { direction: parts[0], port: parts[1]!, subset: parts[2] || '-', fqdn: parts[3]! };
  }
  return { fqdn: name, port: '-', subset: '-', direction: '-' };
}

export function clusterRows(clusters: readonly Obj[], filter: ClusterFilter = {}): string[][] {
  const rows = clusters.map((c) => {
    const parsed = parseName(String(c['name']));
    const type = String(c['type'] ?? (c['cluster_type'] ? c['cluster_type']['name'] : 'EDS'));
    const rule = describeConfigSource(c['metadata']?.['filter_metadata']?.['istio']?.['config']);
    return { ...parsed, row: [parsed.fqdn, parsed.port, parsed.subset, parsed.direction, type, rule] };
  });
  return rows
    .filter((r) => filter.fqdn === undefined || r.fqdn === filter.fqdn || r.fqdn.startsWith(`${filter.fqdn}.`))
    .filter((r) => filter.port === undefined || r.port === String(filter.port))
    .filter((r) => filter.subset === undefined || r.subset === filter.subset)
    .filter((r) => filter.direction === undefined || r.direction === filter.direction)
    .sort((a, b) => a.fqdn.localeCompare(b.fqdn) || Number(a.port === '-' ? 0 : a.port) - Number(b.port === '-' ? 0 : b.port) || a.subset.localeCompare(b.subset) || a.direction.localeCompare(b.direction))
    .map((r) => r.row);
}

export function renderClusters(clusters: readonly Obj[], filter: ClusterFilter = {}): string {
  return renderTable(['SERVICE FQDN', 'PORT', 'SUBSET', 'DIRECTION', 'TYPE', 'DESTINATION RULE'], clusterRows(clusters, filter));
}

export interface EndpointFilter {
  address?: string;
  port?: number;
  cluster?: string;
  status?: string;
}

/** Rows from Envoy's /clusters?format=json. */
export function endpointRows(clusterStatuses: Obj, filter: EndpointFilter = {}): string[][] {
  const rows: string[][] = [];
  for (const cluster of (clusterStatuses['cluster_statuses'] as Obj[] | undefined) ?? []) {
    if (filter.cluster !== undefined && cluster['name'] !== filter.cluster) continue;
    for (const host of (cluster['host_statuses'] as Obj[] | undefined) ?? []) {
      const socket = host['address']?.['socket_address'] ?? {};
      const address = String(socket['address'] ?? host['address']?.['pipe']?.['path'] ?? '');
      const port = socket['port_value'];
      if (filter.address !== undefined && address !== filter.address) continue;
      if (filter.port !== undefined && Number(port) !== filter.port) continue;
      const health = host['health_status'] ?? {};
      const status = String(health['eds_health_status'] ?? 'HEALTHY');
      if (filter.status !== undefined && status !== filter.status.toUpperCase()) continue;
      const outlier = health['failed_outlier_check'] ? 'FAILED' : 'OK';
      rows.push([port !== undefined ? `${address}:${port}` : address, status, outlier, String(cluster['name'])]);
    }
  }
  return rows.sort((a, b) => a[0]!.localeCompare(b[0]!, undefined, { numeric: true }) || a[3]!.localeCompare(b[3]!));
}

export function renderEndpoints(clusterStatuses: Obj, filter: EndpointFilter = {}): string {
  return renderTable(['ENDPOINT', 'STATUS', 'OUTLIER CHECK', 'CLUSTER'], endpointRows(clusterStatuses, filter));
}
