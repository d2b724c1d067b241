// `proxy-config listener`: one row per filter chain, as istioctl prints it.
import { renderTable } from './table.js';

type Obj = Record<string, any>;

export interface ListenerFilter {
  port?: number;
  address?: string;
  type?: string;
}

/** The match of a filter chain in istioctl's words ("Trans: raw_buffer; App: http/1.1,h2c; Addr: *:9080"). */
export function describeMatch(match: Obj | undefined): string {
  if (!match) return 'ALL';
  const conds: string[] = [];
  if (match['transport_protocol']) conds.push(`Trans: ${match['transport_protocol']}`);
  const apps = (match['application_protocols'] as string[] | undefined) ?? [];
  if (apps.length > 0) conds.push(`App: ${apps.join(',')}`);
  const ranges = (match['prefix_ranges'] as Obj[] | undefined) ?? [];
  const port = match['destination_port'];
  if (ranges.length > 0) conds.push(`Addr: ${ranges.map((r) => `${r['address_prefix']}/${r['prefix_len'] ?? 0}${port !== undefined ? `:${port}` : ''}`).join(',')}`);
  else if (port !== undefined) conds.push(`Addr: *:${port}`);
  const names = (match['server_names'] as string[] | undefined) ?? [];
  if (names.length > 0) conds.push(`SNI: ${names.join(',')}`);
  return conds.length === 0 ? 'ALL' : conds.join('; ');
}

function clusterText(cluster: string): string {
  // Istio's special clusters are named for what they are; others get a label.
  return /Cluster/.test(cluster) ? cluster : `Cluster: ${cluster}`;
}

/** Where a filter chain sends traffic ("Route: 9080", "Cluster: outbound|…", "PassthroughCluster"). */
export function describeDestination(filters: Obj[] | undefined): { text: string; type: 'HTTP' | 'TCP' | 'OTHER' } {
  for (const filter of filters ?? []) {
    const config = (filter['typed_config'] ?? {}) as Obj;
    if (filter['name'] === 'envoy.filters.network.tcp_proxy') {
      if (config['cluster']) return { text: clusterText(String(config['cluster'])), type: 'TCP' };
      const weighted = (config['weighted_clusters']?.['clusters'] as Obj[] | undefined) ?? [];
      return { text: `WeightedClusters: ${weighted.map((c) => `${c['name']} (${c['weight']})`).join(', ')}`, type: 'TCP' };
    }
    if (filter['name'] === 'envoy.filters.network.http_connection_manager') {
      if (config['rds']) return { text: `Route: ${config['rds']['route_config_name']}`, type: 'HTTP' };
      const routes = ((config['route_config']?.['virtual_hosts'] as Obj[] | undefined) ?? []).flatMap((vh) => (vh['routes'] as Obj[] | undefined) ?? []);
      const clusters = new Set(routes.map((r) => r['route']?.['cluster']).filter(Boolean));
      if (clusters.size === 1 && routes.every((r) => r['route']?.['cluster'])) return { text: clusterText(String([...clusters][0])), type: 'HTTP' };
      const paths = routes.map((r) => r['match']?.['prefix'] !== undefined ? `${r['match']['prefix']}*` : r['match']?.['path'] ?? '');
      return { text: `Inline Route: ${paths.join(', ')}`, type: 'HTTP' };
    }
  }
  return { text: 'Non-HTTP/Non-TCP', type: 'OTHER' };
}

export function listenerRows(listeners: readonly Obj[], filter: ListenerFilter = {}): string[][] {
  const rows: { port: number; address: string; row: string[] }[] = [];
  for (const listener of listeners) {
    const socket = listener['address']?.['socket_address'] ?? {};
    const address = String(socket['address'] ?? '');
    const port = Number(socket['port_value'] ?? 0);
    if (filter.port !== undefined && port !== filter.port) continue;
    if (filter.address !== undefined && address !== filter.address) continue;
    const chains: Obj[] = [...((listener['filter_chains'] as Obj[] | undefined) ?? [])];
    if (listener['default_filter_chain']) chains.push(listener['default_filter_chain'] as Obj);
    for (const chain of chains) {
      const destination = describeDestination(chain['filters'] as Obj[] | undefined);
      if (filter.type !== undefined && destination.type !== filter.type.toUpperCase()) continue;
      rows.push({ port, address, row: [address, String(port), describeMatch(chain['filter_chain_match'] as Obj | undefined), destination.text] });
    }
  }
  // By port, then address; chains keep their order within a listener.
  return rows.sort((a, b) => a.port - b.port || a.address.localeCompare(b.address)).map((r) => r.row);
}

export function renderListeners(listeners: readonly Obj[], filter: ListenerFilter = {}): string {
  return renderTable(['ADDRESS', 'PORT', 'MATCH', 'DESTINATION'], listenerRows(listeners, filter));
}
