// What it takes to go from the running plan to a new one: pods to stop and
// remove, pods to create and start. A pod whose name stays but whose spec or
// address changed is replaced (kube does not update a pod's containers in place);
// a Deployment whose template changed gets new pod names, so its old pods go
// and new ones come, as a rollout would end. Pure.
import { ipToNumber } from './ipam.js';
import type { ClusterPlan, PlannedPod } from './plan.js';

export interface PlanDiff {
  remove: PlannedPod[];
  create: PlannedPod[];
  /** The new plan's pods, where a pod keeps running as it was planned when it started. */
  pods: PlannedPod[];
  /** Whether Services changed (VIP rules and every pod's hosts file follow them). */
  servicesChanged: boolean;
}

const podKey = (p: PlannedPod) => `${p.namespace}/${p.name}`;

/**
 * The parts of a pod that, changed, need a new pod: its spec as written, not its
 * launch specs, whose environment also names the namespace's Services (fixed when
 * a pod starts, as in kube, so a new Service does not restart its neighbours).
 */
function podShape(p: PlannedPod): string {
  return JSON.stringify([p.ip, p.netns, p.labels, p.annotations, p.object['spec']]);
}

export function diffPlans(before: Pick<ClusterPlan, 'pods' | 'services'>, after: Pick<ClusterPlan, 'pods' | 'services'>): PlanDiff {
  const old = new Map(before.pods.map((p) => [podKey(p), p]));
  const remove: PlannedPod[] = [];
  const create: PlannedPod[] = [];
  const pods: PlannedPod[] = [];
  for (const pod of after.pods) {
    const was = old.get(podKey(pod));
    if (was && podShape(was) === podShape(pod)) {
      pods.push(was);
      continue;
    }
    if (was) remove.push(was);
    create.push(pod);
    pods.push(pod);
  }
  const next = new Set(after.pods.map(podKey));
  for (const pod of before.pods) if (!next.has(podKey(pod))) remove.push(pod);
  const services = (plan: Pick<ClusterPlan, 'services'>) => JSON.stringify(plan.services.map((s) => [s.namespace, s.name, s.clusterIP, s.ports, s.selector ?? null]));
  return { remove, create, pods, servicesChanged: services(before) !== services(after) };
}

/** The addresses of a running plan, for re-planning with them kept. */
export function keptAddresses(plan: Pick<ClusterPlan, 'pods' | 'services'> & { lastPodIP?: string }): { pods: Map<string, string>; services: Map<string, string>; lastPodIP?: string } {
  const last = highestAddress([plan.lastPodIP, ...plan.pods.map((p) => p.ip)]);
  return {
    pods: new Map(plan.pods.map((p) => [podKey(p), p.ip])),
    services: new Map(plan.services.map((s) => [`${s.namespace}/${s.name}`, s.clusterIP])),
    ...(last !== undefined ? { lastPodIP: last } : {}),
  };
}

/** The highest of some IPv4 addresses (the last one an in-order allocator handed out). */
export function highestAddress(ips: readonly (string | undefined)[]): string | undefined {
  let best: string | undefined;
  for (const ip of ips) if (ip !== undefined && (best === undefined || ipToNumber(ip) > ipToNumber(best))) best = ip;
  return best;
}
