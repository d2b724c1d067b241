// What the runtime tells discovery: the cluster as the Kubernetes API would
// show it — Services with their VIPs, Pods with their IPs, phase and Ready
// condition — ready for buildModel(). Istio configuration is kept apart, one
// file per object (configFileName), so that `outrigger apply`/`delete` can
// change it while the cluster runs.
import type { KubeObject } from '../kube/index.js';
import type { ClusterPlan } from './plan.js';

export interface PodState {
  phase: string;
  ready: boolean;
}

export function discoveryObjects(plan: ClusterPlan, state: (namespace: string, name: string) => PodState | undefined): KubeObject[] {
  const services = plan.services.map((s) => ({ ...s.object, metadata: { ...s.object.metadata, namespace: s.namespace }, spec: { ...(s.object['spec'] as object), clusterIP: s.clusterIP } }));
  const pods = plan.pods.map((p) => {
    const current = state(p.namespace, p.name) ?? { phase: 'Pending', ready: false };
    return {
      ...p.object,
      status: { ...(p.object['status'] as object), phase: current.phase, conditions: [{ type: 'Ready', status: current.ready ? 'True' : 'False' }] },
    };
  });
  return [...services, ...pods];
}

/** `virtualservice.default.reviews.yaml`: one registry file per Istio object. */
export function configFileName(obj: KubeObject): string {
  const safe = (s: string) => s.toLowerCase().replace(/[^a-z0-9.-]/g, '_');
  return `${safe(String(obj.kind))}.${safe(obj.metadata?.namespace ?? 'default')}.${safe(String(obj.metadata?.name))}.yaml`;
}

/** kubectl's name for an object: `virtualservice.networking.istio.io/reviews`. */
export function resourceName(obj: KubeObject): string {
  const group = String(obj.apiVersion ?? '').split('/')[0];
  return `${String(obj.kind).toLowerCase()}${group && String(obj.apiVersion).includes('/') ? `.${group}` : ''}/${String(obj.metadata?.name)}`;
}
