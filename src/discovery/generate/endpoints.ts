// EDS: a ClusterLoadAssignment per EDS cluster, endpoints grouped by locality,
// subsets filtered by the DestinationRule's labels, health from readiness.
import { endpointKey } from '../model.js';
import type { Endpoint } from '../model.js';
import type { ProxyContext } from './context.js';
import { parseClusterName } from './names.js';

type Obj = Record<string, any>;

function localityKey(e: Endpoint): string {
  return `${e.locality.region ?? ''}/${e.locality.zone ?? ''}/${e.locality.subZone ?? ''}`;
}

export function loadAssignment(ctx: ProxyContext, clusterName: string): Obj | undefined {
  const parsed = parseClusterName(clusterName);
  if (!parsed || parsed.direction !== 'outbound') return undefined;
  const service = ctx.services.find((s) => s.hostname === parsed.hostname);
  if (!service) return undefined;
  let endpoints = ctx.model.endpoints.get(endpointKey(parsed.hostname, parsed.port)) ?? [];
  if (parsed.subset) {
    const rule = ctx.destinationRule(service.hostname, service.namespace);
    const subset = ((rule?.spec['subsets'] as Obj[] | undefined) ?? []).find((s) => s['name'] === parsed.subset);
    const labels = (subset?.['labels'] as Record<string, string> | undefined) ?? {};
    // A subset the rule no longer has selects nothing.
    endpoints = subset ? endpoints.filter((e) => Object.entries(labels).every(([k, v]) => e.labels[k] === v)) : [];
  }
  const groups = new Map<string, Endpoint[]>();
  for (const e of endpoints) groups.set(localityKey(e), [...(groups.get(localityKey(e)) ?? []), e]);
  return {
    clusterName,
    endpoints: [...groups.values()].map((group) => {
      const first = group[0]!;
      const locality: Obj = {};
      if (first.locality.region) locality['region'] = first.locality.region;
      if (first.locality.zone) locality['zone'] = first.locality.zone;
      if (first.locality.subZone) locality['subZone'] = first.locality.subZone;
      return {
        // Always present, even empty: gRPC's xDS client refuses endpoints without a locality.
        locality,
        lbEndpoints: group.map((e) => ({
          endpoint: { address: { socketAddress: { address: e.address, portValue: e.port } } },
          healthStatus: e.ready ? 'HEALTHY' : 'UNHEALTHY',
          metadata: { filterMetadata: { istio: { workload: `${e.podName ?? ''};${e.namespace};${e.labels['app'] ?? ''};${e.labels['version'] ?? ''};` } } },
          loadBalancingWeight: e.weight,
        })),
        loadBalancingWeight: group.reduce((sum, e) => sum + e.weight, 0),
      };
    }),
  };
}

/** Assignments for every EDS cluster of a cluster list. */
export function generateEndpoints(ctx: ProxyContext, clusters: readonly Obj[]): Obj[] {
  return clusters.filter((c) => c['type'] === 'EDS').map((c) => loadAssignment(ctx, String(c['name']))).filter((a): a is Obj => a !== undefined);
}
