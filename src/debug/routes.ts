// `proxy-config route`: one row per virtual host, saying which domains and matches
// lead where, and which VirtualService made it.
import { isIP } from 'node:net';
import { renderTable } from './table.js';

type Obj = Record<string, any>;

export interface RouteFilter {
  name?: string;
}

/** Domains with ports dropped, addresses and fully qualified names summarised ("reviews, reviews.default + 1 more..."). */
export function describeDomains(domains: readonly string[]): string {
  if (domains.length === 1) return domains[0]!;
  const unique: string[] = [];
  for (const domain of domains) {
    const host = domain.startsWith('[') ? domain.slice(1, domain.indexOf(']')) : domain.replace(/:\d+$/, '');
    if (!unique.includes(host)) unique.push(host);
  }
  const shown = unique.filter((d) => !isIP(d) && !/\.svc\.[^.]+\.[^.]+$/.test(d));
  const list = shown.length > 0 ? shown : unique;
  return list.length > 2 ? `${list.slice(0, 2).join(', ')} + ${list.length - 2} more...` : list.join(', ');
}

export function describeRouteMatch(match: Obj | undefined): string {
  let text = '';
  if (match?.['prefix'] !== undefined) text = `${match['prefix']}*`;
  else if (match?.['path'] !== undefined) text = String(match['path']);
  else if (match?.['safe_regex']) text = String(match['safe_regex']['regex']);
  else if (match?.['path_separated_prefix'] !== undefined) text = `${match['path_separated_prefix']}*`;
  if (((match?.['headers'] as Obj[] | undefined) ?? []).length > 0) text += ' (+headers)';
  return text;
}

/** "/apis/networking.istio.io/v1/namespaces/default/virtual-service/reviews" → "reviews.default". */
export function describeConfigSource(path: unknown): string {
  if (typeof path !== 'string') return '';
  const m = /\/namespaces\/([^/]+)\/[^/]+\/([^/]+)$/.exec(path);
  return m ? `${m[2]}.${m[1]}` : path;
}

export function routeRows(routes: readonly Obj[], filter: RouteFilter = {}): string[][] {
  const rows: string[][] = [];
  for (const route of [...routes].sort((a, b) => String(a['name']).localeCompare(String(b['name']), undefined, { numeric: true }))) {
    if (filter.name !== undefined && route['name'] !== filter.name) continue;
    for (const vh of (route['virtual_hosts'] as Obj[] | undefined) ?? []) {
      const entries = (vh['routes'] as Obj[] | undefined) ?? [];
      const sources = [...new Set(entries.map((r) => describeConfigSource(r['metadata']?.['filter_metadata']?.['istio']?.['config'])).filter(Boolean))];
      rows.push([String(route['name']), String(vh['name']), describeDomains((vh['domains'] as string[] | undefined) ?? []), entries.map((r) => describeRouteMatch(r['match'] as Obj | undefined)).join(', '), sources.join(', ')]);
    }
  }
  return rows;
}

export function renderRoutes(routes: readonly Obj[], filter: RouteFilter = {}): string {
  return renderTable(['NAME', 'VHOST NAME', 'DOMAINS', 'MATCH', 'VIRTUAL SERVICE'], routeRows(routes, filter));
}

/** Where each route leads: domain and match → cluster(s), for readers who want the path at a glance. */
export function routeDestinations(routes: readonly Obj[], filter: RouteFilter = {}): string[][] {
  const rows: string[][] = [];
  for (const route of routes) {
    if (filter.name !== undefined && route['name'] !== filter.name) continue;
    for (const vh of (route['virtual_hosts'] as Obj[] | undefined) ?? []) {
      for (const r of (vh['routes'] as Obj[] | undefined) ?? []) {
        const action = r['route'] as Obj | undefined;
        const target = action?.['cluster']
          ? String(action['cluster'])
          : action?.['weighted_clusters']
            ? ((action['weighted_clusters']['clusters'] as Obj[]) ?? []).map((c) => `${c['name']} ${c['weight']}%`).join(', ')
            : r['redirect'] ? 'redirect' : r['direct_response'] ? `direct response ${r['direct_response']['status']}` : '';
        rows.push([String(route['name']), String(vh['name']), describeRouteMatch(r['match'] as Obj | undefined), target]);
      }
    }
  }
  return rows;
}
