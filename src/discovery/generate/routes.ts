// RDS: one RouteConfiguration per outbound HTTP port ("9080"), a virtual host per
// service on that port with every name a client may use, routes from the
// VirtualService or Istio's default route; plus the catch-all allow_any host.
import { isHttp } from '../protocol.js';
import type { Service } from '../model.js';
import type { ProxyContext } from './context.js';
import { defaultRetryPolicy, virtualServiceRoutes } from './http-routes.js';
import { PassthroughCluster, outboundClusterName } from './names.js';
import { hashPolicy, policyForPort } from './traffic-policy.js';

type Obj = Record<string, any>;

/** Ports whose outbound traffic goes through an HTTP route configuration. */
export function httpPorts(ctx: ProxyContext): number[] {
  const ports = new Set<number>();
  for (const service of ctx.services) for (const port of service.ports) if (isHttp(port.protocol) || port.protocol === undefined) ports.add(port.port);
  return [...ports].sort((a, b) => a - b);
}

/** The names a client can call a service by, each with and without the port, shortest forms only from its own namespace. */
export function serviceDomains(ctx: ProxyContext, service: Service, port: number): string[] {
  const names: string[] = [service.hostname];
  // Kubernetes services also answer to their short forms; ServiceEntry hosts only to themselves.
  if (service.hostname === `${service.name}.${service.namespace}.svc.${ctx.model.domainSuffix}`) {
    if (service.namespace === ctx.proxy.namespace) names.push(service.name);
    names.push(`${service.name}.${service.namespace}.svc`, `${service.name}.${service.namespace}`);
  }
  if (service.clusterIP) names.push(service.clusterIP);
  return names.flatMap((n) => [n, `${n}:${port}`]);
}

function defaultRoute(ctx: ProxyContext, service: Service, port: number): Obj {
  const rule = ctx.destinationRule(service.hostname, service.namespace);
  const hash = hashPolicy(policyForPort(rule?.spec['trafficPolicy'] as Obj | undefined, port));
  return {
    name: 'default',
    match: { prefix: '/' },
    route: {
      cluster: outboundClusterName(port, '', service.hostname),
      timeout: '0s',
      retryPolicy: defaultRetryPolicy(),
      ...(hash ? { hashPolicy: hash } : {}),
      maxStreamDuration: { maxStreamDuration: '0s', grpcTimeoutHeaderMax: '0s' },
    },
    decorator: { operation: `${service.hostname}:${port}/*` },
  };
}

export function routeConfiguration(ctx: ProxyContext, port: number): Obj {
  const virtualHosts: Obj[] = [];
  for (const service of ctx.services) {
    const servicePort = service.ports.find((p) => p.port === port);
    if (!servicePort || !(isHttp(servicePort.protocol) || servicePort.protocol === undefined)) continue;
    const vs = ctx.virtualService(service.hostname);
    const routes = vs ? virtualServiceRoutes(ctx, vs, port) : [defaultRoute(ctx, service, port)];
    virtualHosts.push({ name: `${service.hostname}:${port}`, domains: serviceDomains(ctx, service, port), routes, includeRequestAttemptCount: true });
  }
  virtualHosts.push(
    ctx.mesh.outboundTrafficPolicy === 'ALLOW_ANY'
      ? { name: 'allow_any', domains: ['*'], routes: [{ name: 'allow_any', match: { prefix: '/' }, route: { cluster: PassthroughCluster, timeout: '0s', maxStreamDuration: { maxStreamDuration: '0s', grpcTimeoutHeaderMax: '0s' } } }], includeRequestAttemptCount: true }
      : { name: 'block_all', domains: ['*'], routes: [{ name: 'block_all', match: { prefix: '/' }, directResponse: { status: 502 } }], includeRequestAttemptCount: true },
  );
  return { name: String(port), virtualHosts, validateClusters: false, ignorePortInHostMatching: true };
}

export function generateRoutes(ctx: ProxyContext, names?: readonly string[]): Obj[] {
  const ports = httpPorts(ctx).map(String);
  const wanted = names && names.length > 0 ? ports.filter((p) => names.includes(p)) : ports;
  return wanted.map((p) => routeConfiguration(ctx, Number(p)));
}
