// What the proxy does with each xDS response: decode it under the proxy's strict
// policy (a refusal becomes a NACK naming the field), then install it — clusters
// warm before they replace the old ones, listeners are swapped in place, route
// configurations and endpoints are updated, in this process and in every worker
// (ProxyServer.applyConfig) — and subscribe to the routes and endpoints the new
// listeners and clusters name.
import { decodeResourceJson } from './config/resources.js';
import { typeUrls } from './config/protos.js';
import type { ProxyServer } from './server.js';
import type { JsonObject } from '../xds/ads-server.js';
import { AdsClient, ClusterType, EndpointType, ListenerType, RouteType } from '../xds/ads-client.js';

export const NameTableType = 'type.googleapis.com/istio.networking.nds.v1.NameTable';

type Obj = Record<string, any>;

/** Route configuration names the listeners' HTTP connection managers ask RDS for. */
export function rdsNames(listeners: readonly Obj[]): string[] {
  const names = new Set<string>();
  for (const listener of listeners) {
    for (const chain of [...((listener['filter_chains'] as Obj[] | undefined) ?? []), ...(listener['default_filter_chain'] ? [listener['default_filter_chain'] as Obj] : [])]) {
      for (const filter of (chain['filters'] as Obj[] | undefined) ?? []) {
        const name = filter['typed_config']?.['rds']?.['route_config_name'];
        if (typeof name === 'string') names.add(name);
      }
    }
  }
  return [...names].sort();
}

export interface Applier {
  apply(typeUrl: string, resources: JsonObject[], version: string): Promise<void>;
  /** Types applied at least once (readiness: the first full configuration). */
  applied: Set<string>;
}

export function dataPlaneApplier(proxy: ProxyServer, client: () => AdsClient, onNameTable?: (table: Record<string, unknown>) => void): Applier {
  const applied = new Set<string>();
  // The last assignment per cluster: a replaced cluster starts empty, and the server
  // does not resend endpoints that did not change.
  const assignments = new Map<string, JsonObject>();
  return {
    applied,
    async apply(typeUrl, resources, version) {
      switch (typeUrl) {
        case ClusterType: {
          const decoded = resources.map((r) => decodeResourceJson(typeUrls.cluster, r) as Obj);
          const names = new Set(decoded.map((c) => String(c['name'])));
          for (const cluster of decoded) {
            await proxy.applyConfig({ kind: 'cluster', config: cluster as never, versionInfo: version });
            const cla = assignments.get(String(cluster['name']));
            if (cla && cluster['type'] === 'EDS') await proxy.applyConfig({ kind: 'endpoints', assignment: cla as never });
          }
          for (const existing of proxy.clusterManager.all()) if (existing.addedViaApi && !names.has(existing.name)) await proxy.applyConfig({ kind: 'cluster-removed', name: existing.name });
          client().subscribe(EndpointType, decoded.filter((c) => c['type'] === 'EDS').map((c) => String(c['name'])));
          break;
        }
        case EndpointType: {
          const decoded = resources.map((r) => decodeResourceJson(typeUrls.clusterLoadAssignment, r));
          for (const cla of decoded) {
            assignments.set(String(cla['cluster_name']), cla);
            if (proxy.clusterManager.get(String(cla['cluster_name']))) await proxy.applyConfig({ kind: 'endpoints', assignment: cla as never });
          }
          break;
        }
        case ListenerType: {
          const decoded = resources.map((r) => decodeResourceJson(typeUrls.listener, r) as Obj);
          const names = new Set(decoded.map((l) => String(l['name'])));
          for (const listener of decoded) await proxy.applyConfig({ kind: 'listener', config: listener as never, versionInfo: version });
          for (const existing of proxy.listenerManager.all()) if (existing.addedViaApi && !names.has(existing.name)) await proxy.applyConfig({ kind: 'listener-removed', name: existing.name });
          client().subscribe(RouteType, rdsNames(decoded));
          break;
        }
        case RouteType: {
          const decoded = resources.map((r) => decodeResourceJson(typeUrls.routeConfiguration, r));
          for (const route of decoded) await proxy.applyConfig({ kind: 'route', resource: route, versionInfo: version });
          break;
        }
        case NameTableType:
          onNameTable?.(((resources[0] as Obj | undefined)?.['table'] as Record<string, unknown>) ?? {});
          break;
        default:
          return;
      }
      applied.add(typeUrl);
    },
  };
}

/** An ADS stream to the control plane at address, feeding the proxy (and the name table, if asked). */
export function connectAds(
  proxy: ProxyServer,
  options: { address: string; node: { id: string; cluster?: string; metadata?: JsonObject }; onNameTable?: (table: Record<string, unknown>) => void },
): { client: AdsClient; applier: Applier } {
  let client!: AdsClient;
  const applier = dataPlaneApplier(proxy, () => client, options.onNameTable);
  client = new AdsClient({ address: options.address, node: options.node, apply: (typeUrl, resources, version) => applier.apply(typeUrl, resources, version) });
  client.start();
  return { client, applier };
}
