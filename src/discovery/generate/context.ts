// What one proxy's configuration depends on: the model seen from that proxy —
// its own workload and the services it serves, the services it can call, and
// which VirtualService and DestinationRule apply to each host.
import type { ConfigObject, MeshModel, Service, Workload } from '../model.js';
import type { ProxyIdentity } from '../proxy.js';
import { mostSpecific, resolveHost } from './hosts.js';

export interface MeshSettings {
  connectTimeout: string;
  /** ALLOW_ANY sends unknown destinations through PassthroughCluster; REGISTRY_ONLY to BlackHoleCluster. */
  outboundTrafficPolicy: 'ALLOW_ANY' | 'REGISTRY_ONLY';
  rootNamespace: string;
}

export const defaultMeshSettings: MeshSettings = { connectTimeout: '10s', outboundTrafficPolicy: 'ALLOW_ANY', rootNamespace: 'istio-system' };

function resolvedHosts(config: ConfigObject, domainSuffix: string, field: 'hosts' | 'host'): string[] {
  const value = config.spec[field];
  const hosts = Array.isArray(value) ? (value as string[]) : typeof value === 'string' ? [value] : [];
  return hosts.map((h) => resolveHost(h, config.namespace, domainSuffix));
}

export class ProxyContext {
  readonly workload: Workload | undefined;
  /** Services whose selector matches this proxy's workload: its inbound side. */
  readonly inboundServices: Service[];

  constructor(
    readonly model: MeshModel,
    readonly proxy: ProxyIdentity,
    readonly mesh: MeshSettings = defaultMeshSettings,
  ) {
    this.workload =
      model.workloads.find((w) => w.ip !== undefined && proxy.ipAddresses.includes(w.ip)) ??
      model.workloads.find((w) => w.name === proxy.podName && w.namespace === proxy.namespace);
    const labels = this.workload?.labels ?? proxy.labels;
    this.inboundServices = model.services.filter(
      (s) => s.selector && s.namespace === proxy.namespace && Object.keys(s.selector).length > 0 && Object.entries(s.selector).every(([k, v]) => labels[k] === v),
    );
  }

  get services(): Service[] {
    return this.model.services;
  }

  /**
   * The DestinationRule for a host: the proxy's own namespace first, then the
   * service's, then the root namespace, as Istio looks them up; within one, the most specific host.
   */
  destinationRule(hostname: string, serviceNamespace: string): ConfigObject | undefined {
    const rules = this.model.destinationRules;
    for (const ns of [this.proxy.namespace, serviceNamespace, this.mesh.rootNamespace]) {
      const found = mostSpecific(rules.filter((r) => r.namespace === ns), (r) => resolvedHosts(r, this.model.domainSuffix, 'host'), hostname);
      if (found) return found;
    }
    return undefined;
  }

  /** The VirtualService routing a host (the most specific host pattern wins). */
  virtualService(hostname: string): ConfigObject | undefined {
    const applicable = this.model.virtualServices.filter((vs) => {
      const gateways = (vs.spec['gateways'] as string[] | undefined) ?? ['mesh'];
      return gateways.includes('mesh');
    });
    return mostSpecific(applicable, (vs) => resolvedHosts(vs, this.model.domainSuffix, 'hosts'), hostname);
  }

  resolve(host: string, namespace: string): string {
    return resolveHost(host, namespace, this.model.domainSuffix);
  }
}
