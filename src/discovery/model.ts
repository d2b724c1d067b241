// The service model discovery generates from: services, their ports and protocols,
// the endpoints behind them, the workloads (pods) and the routing configuration.
// Built from plain Kubernetes/Istio objects by buildModel(); pure and immutable.
import { portProtocol } from './protocol.js';
import type { Protocol } from './protocol.js';

type Obj = Record<string, any>;

export interface ServicePort {
  name: string;
  port: number;
  /** Number, or a container port name resolved per endpoint. */
  targetPort: number | string;
  /** Undefined: not declared, so sniffed ("auto"). */
  protocol: Protocol | undefined;
}

export interface Service {
  /** Fully qualified: ratings.default.svc.cluster.local (or a ServiceEntry host). */
  hostname: string;
  name: string;
  namespace: string;
  /** The VIP, if any ("None" and absent both mean headless). */
  clusterIP: string | undefined;
  ports: ServicePort[];
  labels: Record<string, string>;
  selector: Record<string, string> | undefined;
  /** How the proxy finds endpoints: from discovery, the original destination, or DNS. */
  resolution: 'ClientSideLB' | 'Passthrough' | 'DNS';
  /** From a ServiceEntry with location MESH_EXTERNAL. */
  external: boolean;
}

export interface Locality {
  region?: string;
  zone?: string;
  subZone?: string;
}

export interface Endpoint {
  address: string;
  /** The port on the workload (target port resolved). */
  port: number;
  /** The service port this endpoint serves. */
  servicePort: number;
  labels: Record<string, string>;
  serviceAccount: string;
  ready: boolean;
  locality: Locality;
  weight: number;
  podName: string | undefined;
  namespace: string;
}

export interface Workload {
  name: string;
  namespace: string;
  ip: string | undefined;
  labels: Record<string, string>;
  serviceAccount: string;
  ready: boolean;
  containerPorts: { name?: string; containerPort: number }[];
  nodeName: string | undefined;
}

export interface ConfigObject {
  name: string;
  namespace: string;
  spec: Obj;
}

export interface MeshModel {
  domainSuffix: string;
  services: Service[];
  /** Keyed by `${hostname}|${servicePort}`. */
  endpoints: Map<string, Endpoint[]>;
  workloads: Workload[];
  virtualServices: ConfigObject[];
  destinationRules: ConfigObject[];
}

export function endpointKey(hostname: string, port: number): string {
  return `${hostname}|${port}`;
}

const labelsOf = (obj: Obj): Record<string, string> => ({ ...((obj?.['metadata']?.['labels'] as Record<string, string>) ?? {}) });

function selectorMatches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

function podReady(pod: Obj): boolean {
  const conditions = (pod['status']?.['conditions'] as Obj[] | undefined) ?? [];
  const ready = conditions.find((c) => c['type'] === 'Ready');
  // A pod without status (from a manifest) counts as ready; a reported condition decides otherwise.
  if (ready) return ready['status'] === 'True';
  return pod['status']?.['phase'] !== 'Failed' && pod['status']?.['phase'] !== 'Succeeded';
}

function workloadOf(pod: Obj): Workload {
  const containers = (pod['spec']?.['containers'] as Obj[] | undefined) ?? [];
  return {
    name: String(pod['metadata']?.['name'] ?? ''),
    namespace: String(pod['metadata']?.['namespace'] ?? 'default'),
    ip: (pod['status']?.['podIP'] as string | undefined) ?? undefined,
    labels: labelsOf(pod),
    serviceAccount: String(pod['spec']?.['serviceAccountName'] ?? 'default'),
    ready: podReady(pod),
    containerPorts: containers.flatMap((c) => ((c['ports'] as Obj[] | undefined) ?? []).map((p) => ({ name: p['name'] as string | undefined, containerPort: Number(p['containerPort']) }))),
    nodeName: (pod['spec']?.['nodeName'] as string | undefined) ?? undefined,
  };
}

function serviceOf(svc: Obj, domainSuffix: string): Service {
  const name = String(svc['metadata']['name']);
  const namespace = String(svc['metadata']['namespace'] ?? 'default');
  const clusterIP = svc['spec']?.['clusterIP'] as string | undefined;
  const headless = clusterIP === 'None';
  const ports = ((svc['spec']?.['ports'] as Obj[] | undefined) ?? []).map((p) => ({
    name: String(p['name'] ?? ''),
    port: Number(p['port']),
    targetPort: (p['targetPort'] as number | string | undefined) ?? Number(p['port']),
    protocol: portProtocol({ name: p['name'], protocol: p['protocol'], appProtocol: p['appProtocol'] }),
  }));
  return {
    hostname: `${name}.${namespace}.svc.${domainSuffix}`,
    name,
    namespace,
    clusterIP: headless ? undefined : clusterIP,
    ports,
    labels: labelsOf(svc),
    selector: svc['spec']?.['selector'] as Record<string, string> | undefined,
    resolution: headless ? 'Passthrough' : 'ClientSideLB',
    external: false,
  };
}

function serviceEntryServices(entry: Obj): Service[] {
  const spec = entry['spec'] ?? {};
  const namespace = String(entry['metadata']?.['namespace'] ?? 'default');
  const resolution = String(spec['resolution'] ?? 'NONE');
  const addresses = (spec['addresses'] as string[] | undefined) ?? [];
  return ((spec['hosts'] as string[] | undefined) ?? []).map((host) => ({
    hostname: host,
    name: host,
    namespace,
    clusterIP: addresses[0],
    ports: ((spec['ports'] as Obj[] | undefined) ?? []).map((p) => ({
      name: String(p['name'] ?? ''),
      port: Number(p['number']),
      targetPort: Number(p['targetPort'] ?? p['number']),
      protocol: portProtocol({ name: p['name'], appProtocol: p['protocol'] }),
    })),
    labels: labelsOf(entry),
    selector: undefined,
    resolution: resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN' ? 'DNS' : resolution === 'STATIC' ? 'ClientSideLB' : 'Passthrough',
    external: spec['location'] !== 'MESH_INTERNAL',
  }));
}

function resolveTargetPort(port: ServicePort, workload: Workload | undefined): number | undefined {
  if (typeof port.targetPort === 'number') return port.targetPort;
  if (/^\d+$/.test(port.targetPort)) return Number(port.targetPort);
  return workload?.containerPorts.find((p) => p.name === port.targetPort)?.containerPort;
}

function localityOf(labels: Record<string, string>): Locality {
  const locality: Locality = {};
  if (labels['topology.kubernetes.io/region']) locality.region = labels['topology.kubernetes.io/region'];
  if (labels['topology.kubernetes.io/zone']) locality.zone = labels['topology.kubernetes.io/zone'];
  if (labels['topology.istio.io/subzone']) locality.subZone = labels['topology.istio.io/subzone'];
  return locality;
}

/** Builds the model from registry objects (Services, Pods, Endpoints, ServiceEntries, VirtualServices, DestinationRules…). */
export function buildModel(objects: readonly Obj[], domainSuffix = 'cluster.local'): MeshModel {
  const byKind = (kind: string) => objects.filter((o) => o?.['kind'] === kind);
  const workloads = byKind('Pod').map(workloadOf);
  const services: Service[] = [...byKind('Service').map((s) => serviceOf(s, domainSuffix)), ...byKind('ServiceEntry').flatMap(serviceEntryServices)];
  const endpoints = new Map<string, Endpoint[]>();

  const endpointsObjects = new Map(byKind('Endpoints').map((e) => [`${e['metadata']?.['namespace'] ?? 'default'}/${e['metadata']?.['name']}`, e]));
  const slicesByService = new Map<string, Obj[]>();
  for (const slice of byKind('EndpointSlice')) {
    const svcName = slice['metadata']?.['labels']?.['kubernetes.io/service-name'];
    if (!svcName) continue;
    const key = `${slice['metadata']?.['namespace'] ?? 'default'}/${svcName}`;
    slicesByService.set(key, [...(slicesByService.get(key) ?? []), slice]);
  }

  for (const service of services) {
    for (const port of service.ports) endpoints.set(endpointKey(service.hostname, port.port), []);
    const key = `${service.namespace}/${service.name}`;
    const add = (port: ServicePort, endpoint: Endpoint) => endpoints.get(endpointKey(service.hostname, port.port))!.push(endpoint);
    const podByIp = (ip: string) => workloads.find((w) => w.ip === ip);

    if (service.resolution === 'DNS' || (service.external && service.resolution !== 'ClientSideLB')) {
      continue; // resolved by the proxy
    }
    const slices = slicesByService.get(key);
    const endpointsObject = endpointsObjects.get(key);
    if (slices) {
      for (const slice of slices) {
        for (const ep of (slice['endpoints'] as Obj[] | undefined) ?? []) {
          const ready = ep['conditions']?.['ready'] !== false;
          for (const address of (ep['addresses'] as string[] | undefined) ?? []) {
            const pod = podByIp(address);
            for (const port of service.ports) {
              const slicePort = ((slice['ports'] as Obj[] | undefined) ?? []).find((p) => (p['name'] ?? '') === port.name);
              const target = slicePort ? Number(slicePort['port']) : resolveTargetPort(port, pod);
              if (target === undefined) continue;
              add(port, { address, port: target, servicePort: port.port, labels: pod?.labels ?? {}, serviceAccount: pod?.serviceAccount ?? 'default', ready, locality: localityOf(pod?.labels ?? {}), weight: 1, podName: pod?.name, namespace: service.namespace });
            }
          }
        }
      }
    } else if (endpointsObject) {
      for (const subset of (endpointsObject['subsets'] as Obj[] | undefined) ?? []) {
        const groups: [Obj[], boolean][] = [[(subset['addresses'] as Obj[] | undefined) ?? [], true], [(subset['notReadyAddresses'] as Obj[] | undefined) ?? [], false]];
        for (const [addresses, ready] of groups) {
          for (const address of addresses) {
            const ip = String(address['ip']);
            const pod = podByIp(ip);
            for (const port of service.ports) {
              const epPort = ((subset['ports'] as Obj[] | undefined) ?? []).find((p) => (p['name'] ?? '') === port.name);
              const target = epPort ? Number(epPort['port']) : resolveTargetPort(port, pod);
              if (target === undefined) continue;
              add(port, { address: ip, port: target, servicePort: port.port, labels: pod?.labels ?? {}, serviceAccount: pod?.serviceAccount ?? 'default', ready, locality: localityOf(pod?.labels ?? {}), weight: 1, podName: pod?.name, namespace: service.namespace });
            }
          }
        }
      }
    } else if (service.selector) {
      // No Endpoints objects (a manifest directory, the local runtime): select pods as kube does.
      for (const workload of workloads) {
        if (workload.namespace !== service.namespace || !workload.ip || !selectorMatches(service.selector, workload.labels)) continue;
        for (const port of service.ports) {
          const target = resolveTargetPort(port, workload);
          if (target === undefined) continue;
          add(port, { address: workload.ip, port: target, servicePort: port.port, labels: workload.labels, serviceAccount: workload.serviceAccount, ready: workload.ready, locality: localityOf(workload.labels), weight: 1, podName: workload.name, namespace: workload.namespace });
        }
      }
    }
    // ServiceEntry endpoints (STATIC resolution).
  }
  for (const entry of byKind('ServiceEntry')) {
    const spec = entry['spec'] ?? {};
    for (const host of (spec['hosts'] as string[] | undefined) ?? []) {
      for (const port of (spec['ports'] as Obj[] | undefined) ?? []) {
        const list = endpoints.get(endpointKey(host, Number(port['number'])));
        if (!list) continue;
        for (const ep of (spec['endpoints'] as Obj[] | undefined) ?? []) {
          const target = Number(ep['ports']?.[port['name']] ?? port['targetPort'] ?? port['number']);
          list.push({ address: String(ep['address']), port: target, servicePort: Number(port['number']), labels: ep['labels'] ?? {}, serviceAccount: ep['serviceAccount'] ?? 'default', ready: true, locality: {}, weight: Number(ep['weight'] ?? 1), podName: undefined, namespace: String(entry['metadata']?.['namespace'] ?? 'default') });
        }
      }
    }
  }

  const config = (kind: string): ConfigObject[] =>
    byKind(kind).map((o) => ({ name: String(o['metadata']?.['name'] ?? ''), namespace: String(o['metadata']?.['namespace'] ?? 'default'), spec: (o['spec'] as Obj) ?? {} }));
  return {
    domainSuffix,
    services: services.sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0)),
    endpoints,
    workloads,
    virtualServices: config('VirtualService'),
    destinationRules: config('DestinationRule'),
  };
}
