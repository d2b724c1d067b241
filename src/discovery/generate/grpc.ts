// Configuration for proxyless gRPC clients (gRPC's xDS resolver), chosen as Istio
// does by the node metadata GENERATOR=grpc. They ask for listeners by name
// ("ratings.default.svc.cluster.local:9080"), get API listeners whose HTTP
// connection manager points at a route configuration of the same name, and use
// only what gRPC's xDS implementation understands (round robin clusters, no
// Envoy-only extensions).
import type { Service } from '../model.js';
import type { ProxyContext } from './context.js';
import { virtualServiceRoutes } from './http-routes.js';
import { outboundClusterName, TypeUrl } from './names.js';

type Obj = Record<string, any>;

/** "ratings:9080", "ratings.default:9080" or the FQDN form → the service and port it names. */
export function resolveTarget(ctx: ProxyContext, name: string): { service: Service; port: number } | undefined {
  const at = name.lastIndexOf(':');
  if (at <= 0) return undefined;
  const port = Number(name.slice(at + 1));
  const host = ctx.resolve(name.slice(0, at), ctx.proxy.namespace);
  const service = ctx.services.find((s) => s.hostname === host && s.ports.some((p) => p.port === port));
  return service ? { service, port } : undefined;
}

export function grpcListeners(ctx: ProxyContext, names: readonly string[]): Obj[] {
  return names
    .filter((name) => resolveTarget(ctx, name))
    .map((name) => ({
      name,
      apiListener: {
        apiListener: {
          '@type': TypeUrl.HttpConnectionManager,
          rds: { configSource: { ads: {}, resourceApiVersion: 'V3' }, routeConfigName: name },
          httpFilters: [{ name: 'envoy.filters.http.router', typedConfig: { '@type': TypeUrl.Router } }],
        },
      },
    }));
}

export function grpcRoutes(ctx: ProxyContext, names: readonly string[]): Obj[] {
  const out: Obj[] = [];
  for (const name of names) {
    const target = resolveTarget(ctx, name);
    if (!target) continue;
    const { service, port } = target;
    const vs = ctx.virtualService(service.hostname);
    const routes = vs
      ? virtualServiceRoutes(ctx, vs, port).map((r) => {
          // gRPC's xDS takes the destination, weights and timeout; Envoy's retry extras are left out.
          const { retryPolicy: _retry, maxStreamDuration: _max, ...action } = (r['route'] ?? {}) as Obj;
          return { name: r['name'], match: r['match'], ...(r['route'] ? { route: action } : {}) };
        })
      : [{ name: 'default', match: { prefix: '/' }, route: { cluster: outboundClusterName(port, '', service.hostname) } }];
    out.push({ name, virtualHosts: [{ name, domains: [name, service.hostname, `${service.hostname}:${port}`], routes }] });
  }
  return out;
}

/** Round-robin EDS clusters for every service port and subset (gRPC picks by name). */
export function grpcClusters(ctx: ProxyContext): Obj[] {
  const clusters: Obj[] = [];
  for (const service of ctx.services) {
    const rule = ctx.destinationRule(service.hostname, service.namespace);
    const subsets = ['', ...((rule?.spec['subsets'] as Obj[] | undefined) ?? []).map((s) => String(s['name']))];
    for (const port of service.ports) {
      for (const subset of subsets) {
        const name = outboundClusterName(port.port, subset, service.hostname);
        clusters.push({ name, type: 'EDS', edsClusterConfig: { edsConfig: { ads: {}, resourceApiVersion: 'V3' }, serviceName: name }, lbPolicy: 'ROUND_ROBIN', connectTimeout: ctx.mesh.connectTimeout });
      }
    }
  }
  return clusters;
}
