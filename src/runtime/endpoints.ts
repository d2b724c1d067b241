// Which pod addresses stand behind each Service port: pods of the Service's
// namespace whose labels match its selector, ready ones only, at the target port
// (a number, or the name of a container port of that pod).
import type { ServiceRule } from './kube-proxy.js';
import type { PlannedPod, PlannedService } from './plan.js';

export function targetPortOf(pod: PlannedPod, target: number | string): number | undefined {
  if (typeof target === 'number') return target;
  const containers = ((pod.object['spec'] as Record<string, unknown>)['containers'] ?? []) as { ports?: { name?: string; containerPort?: number }[] }[];
  for (const c of containers) for (const p of c.ports ?? []) if (p.name === target && typeof p.containerPort === 'number') return p.containerPort;
  return undefined;
}

export function selects(service: PlannedService, pod: PlannedPod): boolean {
  if (!service.selector || pod.namespace !== service.namespace) return false;
  const entries = Object.entries(service.selector);
  return entries.length > 0 && entries.every(([k, v]) => pod.labels[k] === v);
}

export function serviceRules(services: readonly PlannedService[], pods: readonly PlannedPod[], ready: (pod: PlannedPod) => boolean): ServiceRule[] {
  const rules: ServiceRule[] = [];
  for (const svc of services) {
    if (svc.clusterIP === 'None' || svc.clusterIP === '') continue;
    for (const port of svc.ports) {
      const endpoints: string[] = [];
      for (const pod of pods) {
        if (!selects(svc, pod) || !ready(pod)) continue;
        const target = targetPortOf(pod, port.targetPort);
        if (target !== undefined) endpoints.push(`${pod.ip}:${target}`);
      }
      rules.push({ namespace: svc.namespace, name: svc.name, ...(port.name ? { portName: port.name } : {}), clusterIP: svc.clusterIP, port: port.port, protocol: port.protocol, endpoints });
    }
  }
  return rules;
}
