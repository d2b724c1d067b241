// The DNS name table for a proxy (Istio's NDS): every service host with the
// addresses it resolves to and the shorter names a pod in this namespace may use.
import type { ProxyContext } from './context.js';

type Obj = Record<string, any>;

export const NameTableType = 'type.googleapis.com/istio.networking.nds.v1.NameTable';

export function nameTable(ctx: ProxyContext): Obj {
  const table: Record<string, Obj> = {};
  for (const service of ctx.services) {
    let ips = service.clusterIP ? [service.clusterIP] : [];
    if (ips.length === 0 && service.resolution === 'Passthrough' && !service.external) {
      // Headless: the pods' own addresses.
      const seen = new Set<string>();
      for (const port of service.ports) for (const e of ctx.model.endpoints.get(`${service.hostname}|${port.port}`) ?? []) if (e.ready) seen.add(e.address);
      ips = [...seen].sort();
    }
    if (ips.length === 0) continue;
    const kubernetes = service.hostname === `${service.name}.${service.namespace}.svc.${ctx.model.domainSuffix}`;
    const altHosts = kubernetes ? [`${service.name}.${service.namespace}.svc`, `${service.name}.${service.namespace}`, ...(service.namespace === ctx.proxy.namespace ? [service.name] : [])] : [];
    table[service.hostname] = {
      ips,
      registry: kubernetes ? 'Kubernetes' : 'External',
      ...(kubernetes ? { shortname: service.name, namespace: service.namespace } : {}),
      ...(altHosts.length > 0 ? { altHosts } : {}),
    };
  }
  return { table };
}
