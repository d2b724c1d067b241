// Reading Envoy's /config_dump (snake_case proto3 JSON) and /clusters?format=json:
// the listeners, routes, clusters and endpoints a proxy holds.
type Obj = Record<string, any>;

function configOf(dump: Obj, kind: string): Obj | undefined {
  return ((dump['configs'] as Obj[] | undefined) ?? []).find((c) => String(c['@type'] ?? '').endsWith(`.${kind}`));
}

function strip(resource: Obj): Obj {
  const { '@type': _type, ...rest } = resource;
  return rest;
}

export function listenersOf(dump: Obj): Obj[] {
  const config = configOf(dump, 'ListenersConfigDump') ?? {};
  return [
    ...((config['static_listeners'] as Obj[] | undefined) ?? []).map((l) => strip(l['listener'] ?? {})),
    ...((config['dynamic_listeners'] as Obj[] | undefined) ?? []).map((l) => strip(l['active_state']?.['listener'] ?? l['warming_state']?.['listener'] ?? {})),
  ].filter((l) => l['name'] !== undefined);
}

export function clustersOf(dump: Obj): Obj[] {
  const config = configOf(dump, 'ClustersConfigDump') ?? {};
  return [
    ...((config['static_clusters'] as Obj[] | undefined) ?? []).map((c) => strip(c['cluster'] ?? {})),
    ...((config['dynamic_active_clusters'] as Obj[] | undefined) ?? []).map((c) => strip(c['cluster'] ?? {})),
    ...((config['dynamic_warming_clusters'] as Obj[] | undefined) ?? []).map((c) => strip(c['cluster'] ?? {})),
  ].filter((c) => c['name'] !== undefined);
}

/** Route configurations from RDS, plus those inline in listeners' HTTP connection managers (as istioctl shows them). */
export function routesOf(dump: Obj): Obj[] {
  const config = configOf(dump, 'RoutesConfigDump') ?? {};
  return [
    ...((config['static_route_configs'] as Obj[] | undefined) ?? []).map((r) => strip(r['route_config'] ?? {})),
    ...((config['dynamic_route_configs'] as Obj[] | undefined) ?? []).map((r) => strip(r['route_config'] ?? {})),
  ].filter((r) => r['name'] !== undefined);
}

export function bootstrapOf(dump: Obj): Obj | undefined {
  return configOf(dump, 'BootstrapConfigDump')?.['bootstrap'] as Obj | undefined;
}

/** Maps whose keys are names of the user's, not field names: left as they are. */
const userKeyed = new Set(['filter_metadata', 'typed_filter_metadata', 'typed_extension_protocol_options', 'typed_per_filter_config', 'fields', 'metadata_map']);

/** snake_case field names → the camelCase istioctl prints with -o json. */
export function toCamel(value: unknown, parentKey = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => toCamel(v, parentKey));
  if (value === null || typeof value !== 'object') return value;
  const keep = userKeyed.has(parentKey);
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [keep || k.startsWith('@') ? k : k.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()), toCamel(v, keep ? '' : k)]),
  );
}
