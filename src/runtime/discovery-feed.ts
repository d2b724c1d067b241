// What the runtime tells discovery: the cluster as the Kubernetes API would
// show it — Services with their VIPs, Pods with their IPs, phase and Ready
// condition, and the Istio configuration — ready for buildModel().
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
  return [...services, ...pods, ...plan.istioConfig];
}
