// Envoy's /config_dump: an envoy.admin.v3.ConfigDump whose configs are the
// bootstrap, cluster, listener and route dumps, each with its "@type". Decoded
// config is already in the proto3 JSON form with snake_case names, which is
// what Envoy prints, so resources are emitted as they were accepted.
import { TYPE_URL_PREFIX, typeUrls } from '../config/protos.js';
import type { JsonObject } from '../config/proto-json.js';
import { redactPrivateKeys } from '../transport-sockets/redact.js';

const ADMIN = `${TYPE_URL_PREFIX}envoy.admin.v3.`;

export interface DumpedResource {
  resource: JsonObject;
  lastUpdated: Date;
  addedViaApi: boolean;
  versionInfo?: string;
}

export interface ConfigDumpInput {
  bootstrap: JsonObject;
  bootstrapLoaded: Date;
  clusters: readonly DumpedResource[];
  listeners: readonly DumpedResource[];
  /** Route configurations from RDS. */
  routes?: readonly DumpedResource[];
  /** The bootstrap's static secrets (static SDS). */
  secrets?: readonly DumpedResource[];
}

function typed(url: string, resource: JsonObject): JsonObject {
  return { '@type': url, ...resource };
}

/** The full dump, in Envoy's order: bootstrap, clusters, listeners, routes, secrets; private keys redacted. */
export function buildConfigDump(input: ConfigDumpInput): JsonObject {
  return redactPrivateKeys(dumpOf(input));
}

function dumpOf(input: ConfigDumpInput): JsonObject {
  const stamp = (d: Date) => d.toISOString();
  const staticClusters = input.clusters.filter((c) => !c.addedViaApi);
  const dynamicClusters = input.clusters.filter((c) => c.addedViaApi);
  const staticListeners = input.listeners.filter((l) => !l.addedViaApi);
  const dynamicListeners = input.listeners.filter((l) => l.addedViaApi);
  return {
    configs: [
      { '@type': `${ADMIN}BootstrapConfigDump`, bootstrap: input.bootstrap, last_updated: stamp(input.bootstrapLoaded) },
      {
        '@type': `${ADMIN}ClustersConfigDump`,
        static_clusters: staticClusters.map((c) => ({ cluster: typed(typeUrls.cluster, c.resource), last_updated: stamp(c.lastUpdated) })),
        dynamic_active_clusters: dynamicClusters.map((c) => ({
          ...(c.versionInfo ? { version_info: c.versionInfo } : {}),
          cluster: typed(typeUrls.cluster, c.resource),
          last_updated: stamp(c.lastUpdated),
        })),
      },
      {
        '@type': `${ADMIN}ListenersConfigDump`,
        static_listeners: staticListeners.map((l) => ({ listener: typed(typeUrls.listener, l.resource), last_updated: stamp(l.lastUpdated) })),
        dynamic_listeners: dynamicListeners.map((l) => ({
          name: l.resource['name'] as string,
          active_state: {
            ...(l.versionInfo ? { version_info: l.versionInfo } : {}),
            listener: typed(typeUrls.listener, l.resource),
            last_updated: stamp(l.lastUpdated),
          },
        })),
      },
      {
        '@type': `${ADMIN}RoutesConfigDump`,
        static_route_configs: [],
        dynamic_route_configs: (input.routes ?? []).map((r) => ({
          ...(r.versionInfo ? { version_info: r.versionInfo } : {}),
          route_config: typed(typeUrls.routeConfiguration, r.resource),
          last_updated: stamp(r.lastUpdated),
        })),
      },
      {
        '@type': `${ADMIN}SecretsConfigDump`,
        static_secrets: (input.secrets ?? []).map((s) => ({
          name: s.resource['name'] as string,
          last_updated: stamp(s.lastUpdated),
          secret: typed(`${TYPE_URL_PREFIX}envoy.extensions.transport_sockets.tls.v3.Secret`, s.resource),
        })),
      },
    ],
  };
}

/** The element type of each repeated dump field that ?resource= may name. */
const RESOURCE_TYPES: Record<string, string> = {
  static_clusters: 'ClustersConfigDump.StaticCluster',
  dynamic_active_clusters: 'ClustersConfigDump.DynamicCluster',
  dynamic_warming_clusters: 'ClustersConfigDump.DynamicCluster',
  static_listeners: 'ListenersConfigDump.StaticListener',
  dynamic_listeners: 'ListenersConfigDump.DynamicListener',
  static_route_configs: 'RoutesConfigDump.StaticRouteConfig',
  dynamic_route_configs: 'RoutesConfigDump.DynamicRouteConfig',
  static_secrets: 'SecretsConfigDump.StaticSecret',
};

export class ConfigDumpQueryError extends Error {}

/** ?resource=static_listeners: the elements of that field across the dump, each with its own "@type". */
export function filterConfigDump(dump: JsonObject, resource: string | undefined, mask: string | undefined): JsonObject {
  let configs = dump['configs'] as JsonObject[];
  if (resource !== undefined) {
    const elementType = RESOURCE_TYPES[resource];
    if (!elementType) throw new ConfigDumpQueryError(`${resource} not found in config dump (one of ${Object.keys(RESOURCE_TYPES).join(', ')})`);
    configs = configs.flatMap((c) => ((c[resource] as JsonObject[] | undefined) ?? []).map((item) => ({ '@type': `${ADMIN}${elementType}`, ...item })));
  }
  if (mask !== undefined) {
    const paths = mask.split(',').map((p) => p.trim().split('.')).filter((p) => p[0] !== '');
    configs = configs.map((c) => applyMask(c, paths));
  }
  return { configs };
}

/** A FieldMask over snake_case paths; "@type" is always kept. */
function applyMask(value: JsonObject, paths: string[][]): JsonObject {
  const out: JsonObject = {};
  if ('@type' in value) out['@type'] = value['@type']!;
  for (const path of paths) {
    const [head, ...rest] = path;
    if (head === undefined || !(head in value)) continue;
    const child = value[head]!;
    if (rest.length === 0) out[head] = child;
    else if (Array.isArray(child)) out[head] = child.map((c) => (typeof c === 'object' && c !== null && !Array.isArray(c) ? applyMask(c, [rest]) : c));
    else if (typeof child === 'object' && child !== null) {
      const merged = applyMask(child, [rest]);
      out[head] = typeof out[head] === 'object' && out[head] !== null ? { ...(out[head] as JsonObject), ...merged } : merged;
    }
  }
  return out;
}
