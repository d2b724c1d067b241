// The cluster a set of manifests describes, planned before anything is created:
// namespaces, Services with their virtual IPs, pods (one per replica, named as
// kube's controllers name them) with their addresses, network namespaces and
// launch specs, and the Istio configuration kept for discovery. Pure: programs
// are found, and sidecars injected, by functions the caller passes in. Every
// problem is collected and reported together, each naming kind, name and field.
import { nameOf, namespaceOf, objectRef, podTemplateAccessor } from '../kube/index.js';
import type { KubeObject } from '../kube/index.js';
import { Allocator, parseCidr } from './ipam.js';
import type { Cidr } from './ipam.js';
import { sidecarDecision } from './injection.js';
import { LaunchError, launchSpec, serviceEnvironment } from './launch.js';
import type { LaunchContext, LaunchSpec } from './launch.js';
import { fnv32a, nameSuffix, podTemplateHash } from './names.js';
import type { SourcedObject } from './manifests.js';

type Json = Record<string, unknown>;

export interface PlanOptions {
  podCidr: string;
  serviceCidr: string;
  /** Network namespaces are named `<prefix>node` and `<prefix><namespace>-<pod>`. */
  netnsPrefix: string;
  nodeName?: string;
  /** Injects a workload (same code path as the webhook); undefined turns sidecars off. */
  inject?: (workload: KubeObject) => KubeObject;
  resolveProgram(name: string): string | undefined;
  runtimeVars?: Readonly<Record<string, string>>;
  /**
   * Addresses of a running cluster being re-planned (`apply` while it runs): a pod
   * or Service that stays keeps its address, keyed "namespace/name".
   */
  keep?: { pods: ReadonlyMap<string, string>; services: ReadonlyMap<string, string>; lastPodIP?: string };
}

export interface PlannedNamespace {
  name: string;
  labels: Record<string, string>;
}

export interface ServicePortPlan {
  name?: string;
  port: number;
  targetPort: number | string;
  protocol: string;
}

export interface PlannedService {
  namespace: string;
  name: string;
  /** A virtual IP, or "None" for a headless Service. */
  clusterIP: string;
  type: string;
  ports: ServicePortPlan[];
  /** Pods selected by these labels are the endpoints; undefined selects none. */
  selector?: Record<string, string>;
  object: KubeObject;
}

export interface PlannedPod {
  namespace: string;
  name: string;
  uid: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  serviceAccount: string;
  owner?: { kind: string; name: string };
  ip: string;
  netns: string;
  /** The node-side end of the pod's veth pair; the pod's end is eth0. */
  veth: string;
  injected: boolean;
  initContainers: LaunchSpec[];
  containers: LaunchSpec[];
  /** The Pod as the API server would hold it, for discovery and `get -o yaml`. */
  object: KubeObject;
  source: string;
}

export interface ClusterPlan {
  nodeName: string;
  nodeNetns: string;
  bridge: { name: string; ip: string; prefix: number };
  podCidr: string;
  serviceCidr: string;
  namespaces: PlannedNamespace[];
  serviceAccounts: { namespace: string; name: string }[];
  configMaps: { namespace: string; name: string; data: Record<string, string> }[];
  services: PlannedService[];
  pods: PlannedPod[];
  /** Istio resources (VirtualService, DestinationRule, …), kept for discovery. */
  istioConfig: KubeObject[];
  warnings: string[];
}

export class PlanError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.length === 1 ? problems[0]! : `the manifests have ${problems.length} problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const BUILTIN_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const CONTROLLER_KINDS = new Set(['Pod', 'Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job']);
const IGNORED_KINDS = new Set(['Secret', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding', 'NetworkPolicy', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'Endpoints', 'EndpointSlice']);

function isMap(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringMap(value: unknown): Record<string, string> {
  return isMap(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)])) : {};
}

export function isIstioConfig(obj: KubeObject): boolean {
  return typeof obj.apiVersion === 'string' && /^[a-z.]*istio\.io\//.test(obj.apiVersion);
}

/** The planned layout of the network, shared by the planner and the network shell. */
export function netnsName(prefix: string, namespace: string, pod: string): string {
  return `${prefix}${namespace}-${pod}`;
}

export function vethName(netns: string): string {
  // Interface names are at most 15 bytes; a hash of the namespace's name fits and is stable.
  return `veth${fnv32a(netns).toString(16).padStart(8, '0')}`;
}

interface PodDraft {
  namespace: string;
  name: string;
  owner?: { kind: string; name: string };
  metadata: Json;
  spec: Json;
  /** The field path of the pod spec in its manifest, for messages. */
  specPath: string;
  ref: string;
  injected: boolean;
  source: string;
  extraLabels: Record<string, string>;
  /** spec fields a controller sets on its pods (a StatefulSet's hostname and subdomain). */
  extraSpec?: Record<string, string>;
}

export function planCluster(objects: readonly SourcedObject[], options: PlanOptions): ClusterPlan {
  const problems: string[] = [];
  const warnings: string[] = [];
  const nodeName = options.nodeName ?? 'outrigger-node';
  let podCidr: Cidr;
  let serviceCidr: Cidr;
  try {
    podCidr = parseCidr(options.podCidr);
    serviceCidr = parseCidr(options.serviceCidr);
  } catch (error) {
    throw new PlanError([(error as Error).message]);
  }

  const namespaces = new Map<string, PlannedNamespace>(BUILTIN_NAMESPACES.map((n) => [n, { name: n, labels: { 'kubernetes.io/metadata.name': n } }]));
  const seen = new Map<string, string>();
  const serviceAccounts: { namespace: string; name: string }[] = [];
  const configMaps: ClusterPlan['configMaps'] = [];
  const istioConfig: KubeObject[] = [];
  const serviceObjects: SourcedObject[] = [];
  const workloads: SourcedObject[] = [];

  // First pass: what exists, so that references can be checked whatever the order.
  for (const item of objects) {
    const { object, source } = item;
    const kind = typeof object.kind === 'string' ? object.kind : '';
    const name = nameOf(object);
    if (kind === '' || typeof object.apiVersion !== 'string') {
      problems.push(`${source}: apiVersion and kind are required`);
      continue;
    }
    if (name === undefined && !(kind === 'Pod' && isMap(object.metadata) && typeof object.metadata['generateName'] === 'string')) {
      problems.push(`${source}: ${kind}: metadata.name is required`);
      continue;
    }
    const namespace = kind === 'Namespace' ? '' : (namespaceOf(object) ?? 'default');
    const key = `${kind}/${namespace}/${name ?? ''}`;
    if (name !== undefined && seen.has(key)) {
      problems.push(`${source}: ${objectRef(object)} is defined twice (first at ${seen.get(key)})`);
      continue;
    }
    if (name !== undefined) seen.set(key, source);
    if (name !== undefined && kind !== 'Namespace' && !isIstioConfig(object) && name.length > 253) problems.push(`${source}: ${objectRef(object)}: metadata.name is longer than 253 characters`);
    switch (kind) {
      case 'Namespace':
        if (!DNS_LABEL.test(name!)) problems.push(`${source}: Namespace "${name}": metadata.name must be a DNS label (lower case letters, digits and "-")`);
        namespaces.set(name!, { name: name!, labels: { ...stringMap(object.metadata?.labels), 'kubernetes.io/metadata.name': name! } });
        break;
      case 'ServiceAccount':
        serviceAccounts.push({ namespace, name: name! });
        break;
      case 'ConfigMap':
        configMaps.push({ namespace, name: name!, data: stringMap(object['data']) });
        break;
      case 'Service':
        serviceObjects.push(item);
        break;
      default:
        if (CONTROLLER_KINDS.has(kind)) workloads.push(item);
        else if (isIstioConfig(object)) istioConfig.push(object);
        else if (IGNORED_KINDS.has(kind) || podTemplateAccessor(object)) warnings.push(`${source}: ${objectRef(object)} is not run by the local runtime yet; ignored`);
        else warnings.push(`${source}: ${objectRef(object)} (${object.apiVersion}) is not a kind the local runtime knows; ignored`);
    }
  }
  for (const item of objects) {
    const kind = item.object.kind;
    if (kind === 'Namespace' || typeof kind !== 'string') continue;
    const namespace = namespaceOf(item.object) ?? 'default';
    if (!namespaces.has(namespace)) problems.push(`${item.source}: ${objectRef(item.object)}: metadata.namespace: namespace "${namespace}" is not in the manifests`);
  }

  // Services: ports and virtual IPs. Fixed clusterIPs are reserved before any is handed out.
  const serviceAllocator = new Allocator(serviceCidr, 'service', 1);
  const services: PlannedService[] = [];
  const keptVip = new Map<SourcedObject, string>();
  for (const item of serviceObjects) {
    const { object, source } = item;
    const ref = `${source}: ${objectRef(object)}`;
    const spec = isMap(object['spec']) ? object['spec'] : {};
    const fixed = typeof spec['clusterIP'] === 'string' && spec['clusterIP'] !== '' ? spec['clusterIP'] : undefined;
    const kept = options.keep?.services.get(`${namespaceOf(object) ?? 'default'}/${nameOf(object)}`);
    if (fixed === undefined && kept !== undefined && kept !== 'None') {
      // A Service that stays keeps its VIP, as kube never changes a clusterIP.
      try {
        serviceAllocator.reserve(kept);
        keptVip.set(item, kept);
      } catch {
        // Taken by a fixed clusterIP now: it gets a new one below.
      }
    }
    if (fixed !== undefined && fixed !== 'None') {
      try {
        serviceAllocator.reserve(fixed);
      } catch (error) {
        problems.push(`${ref}: spec.clusterIP: ${(error as Error).message}`);
      }
    }
  }
  for (const item of serviceObjects) {
    const { object, source } = item;
    const ref = `${source}: ${objectRef(object)}`;
    const spec = isMap(object['spec']) ? object['spec'] : {};
    const ports: ServicePortPlan[] = [];
    const rawPorts = Array.isArray(spec['ports']) ? (spec['ports'] as unknown[]) : [];
    rawPorts.forEach((p, i) => {
      const field = `spec.ports[${i}]`;
      if (!isMap(p) || typeof p['port'] !== 'number' || !Number.isInteger(p['port']) || p['port'] < 1 || p['port'] > 65535) {
        problems.push(`${ref}: ${field}.port: must be a port number (1-65535)`);
        return;
      }
      const target = p['targetPort'] ?? p['port'];
      if (typeof target !== 'number' && typeof target !== 'string') {
        problems.push(`${ref}: ${field}.targetPort: must be a port number or a container port name`);
        return;
      }
      if (rawPorts.length > 1 && typeof p['name'] !== 'string') problems.push(`${ref}: ${field}.name: is required when a Service has more than one port`);
      ports.push({ ...(typeof p['name'] === 'string' ? { name: p['name'] } : {}), port: p['port'], targetPort: typeof target === 'string' && /^\d+$/.test(target) ? Number(target) : target, protocol: typeof p['protocol'] === 'string' ? p['protocol'] : 'TCP' });
    });
    const fixed = typeof spec['clusterIP'] === 'string' && spec['clusterIP'] !== '' ? spec['clusterIP'] : undefined;
    let clusterIP = fixed ?? keptVip.get(item) ?? '';
    if (clusterIP === '') {
      try {
        clusterIP = serviceAllocator.allocate();
      } catch (error) {
        problems.push(`${ref}: ${(error as Error).message}`);
      }
    }
    const selector = isMap(spec['selector']) ? stringMap(spec['selector']) : undefined;
    services.push({ namespace: namespaceOf(object) ?? 'default', name: nameOf(object)!, clusterIP, type: typeof spec['type'] === 'string' ? spec['type'] : 'ClusterIP', ports, ...(selector ? { selector } : {}), object });
  }

  // Workloads: injected as a whole (as kube-inject does), then one pod per replica.
  const drafts: PodDraft[] = [];
  for (const { object: original, source } of workloads) {
    const kind = original.kind!;
    const namespace = namespaceOf(original) ?? 'default';
    const ref = objectRef(original);
    const accessor = podTemplateAccessor(original)!;
    const before = accessor.get();
    const specPath = kind === 'Pod' ? 'spec' : 'spec.template.spec';
    if (before.spec['hostNetwork'] === true) {
      problems.push(`${source}: ${ref}: ${specPath}.hostNetwork: pods on the host network are not supported by the local runtime (every pod gets its own network namespace)`);
      continue;
    }
    const containers = before.spec['containers'];
    if (!Array.isArray(containers) || containers.length === 0) {
      problems.push(`${source}: ${ref}: ${specPath}.containers: at least one container is required`);
      continue;
    }
    let object = original;
    let injected = false;
    const decision = sidecarDecision({ namespaceLabels: namespaces.get(namespace)?.labels ?? {}, labels: stringMap(before.metadata.labels), annotations: stringMap(before.metadata.annotations), hostNetwork: before.spec['hostNetwork'] === true });
    if (decision.inject && options.inject) {
      try {
        object = options.inject(original);
        injected = JSON.stringify(object) !== JSON.stringify(original);
      } catch (error) {
        problems.push(`${source}: ${ref}: injection failed: ${(error as Error).message}`);
        continue;
      }
    } else if (decision.inject) {
      warnings.push(`${source}: ${ref} would get a sidecar (${decision.reason}), but sidecars are switched off`);
    }
    const template = podTemplateAccessor(object)!.get();
    const labels = stringMap(template.metadata.labels);
    const draft = (name: string, extraLabels: Record<string, string>, owner?: { kind: string; name: string }, extraSpec?: Record<string, string>): PodDraft => ({
      namespace,
      name,
      ...(owner ? { owner } : {}),
      metadata: template.metadata as Json,
      spec: template.spec,
      specPath,
      ref,
      injected,
      source,
      extraLabels,
      ...(extraSpec ? { extraSpec } : {}),
    });
    if (kind === 'Pod') {
      const meta = original.metadata ?? {};
      const name = nameOf(original) ?? `${String(meta.generateName)}${nameSuffix(String(meta.generateName), 0)}`;
      drafts.push(draft(name, {}));
      continue;
    }
    const spec = isMap(object['spec']) ? object['spec'] : {};
    const replicas = spec['replicas'] === undefined ? 1 : spec['replicas'];
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      problems.push(`${source}: ${ref}: spec.replicas: must be a non-negative integer`);
      continue;
    }
    if (kind === 'Job') {
      // A Job runs its pod to completion: one pod (parallelism and retries are not modelled).
      const policy = template.spec['restartPolicy'];
      if (policy !== 'Never' && policy !== 'OnFailure') {
        problems.push(`${source}: ${ref}: spec.template.spec.restartPolicy: must be Never or OnFailure for a Job (got ${policy === undefined ? 'none' : JSON.stringify(policy)})`);
        continue;
      }
      const jobName = nameOf(object)!;
      drafts.push(draft(`${jobName}-${nameSuffix(jobName, 0)}`, { 'job-name': jobName, 'batch.kubernetes.io/job-name': jobName }, { kind, name: jobName }));
      continue;
    }
    const selector = isMap(spec['selector']) ? stringMap(spec['selector']['matchLabels']) : {};
    if (Object.keys(selector).length === 0 && kind !== 'ReplicaSet') problems.push(`${source}: ${ref}: spec.selector.matchLabels: is required`);
    for (const [k, v] of Object.entries(selector)) {
      if (labels[k] !== v) problems.push(`${source}: ${ref}: spec.selector: "${k}: ${v}" does not match the template's labels (spec.template.metadata.labels)`);
    }
    const name = nameOf(object)!;
    const count = kind === 'DaemonSet' ? 1 : replicas;
    for (let i = 0; i < count; i++) {
      if (kind === 'Deployment') {
        // The hash of the template as given (before injection), like the label kube sets.
        const hash = podTemplateHash(before);
        const rs = `${name}-${hash}`;
        drafts.push(draft(`${rs}-${nameSuffix(rs, i)}`, { 'pod-template-hash': hash }, { kind: 'ReplicaSet', name: rs }));
      } else if (kind === 'StatefulSet') {
        const serviceName: Record<string, string> = typeof spec['serviceName'] === 'string' && spec['serviceName'] !== '' ? { subdomain: spec['serviceName'] } : {};
        drafts.push(draft(`${name}-${i}`, { 'statefulset.kubernetes.io/pod-name': `${name}-${i}`, 'apps.kubernetes.io/pod-index': String(i) }, { kind, name }, { hostname: `${name}-${i}`, ...serviceName }));
      } else {
        drafts.push(draft(`${name}-${nameSuffix(name, i)}`, {}, { kind, name }));
      }
    }
  }

  // Pods: addresses, network namespaces and launch specs.
  const podAllocator = new Allocator(podCidr, 'pod', 1);
  const bridgeIP = podAllocator.allocate();
  const runtimeVars = options.runtimeVars ?? {};
  const pods: PlannedPod[] = [];
  const vethOwners = new Map<string, string>();
  const nodeNetns = `${options.netnsPrefix}node`;
  if (options.keep?.lastPodIP !== undefined) podAllocator.continueAfter(options.keep.lastPodIP);
  const keptIP = new Map<PodDraft, string>();
  for (const d of drafts) {
    const kept = options.keep?.pods.get(`${d.namespace}/${d.name}`);
    if (kept === undefined) continue;
    try {
      podAllocator.reserve(kept);
      keptIP.set(d, kept);
    } catch {
      // Outside the range or taken: the pod gets a new address.
    }
  }
  for (const d of drafts) {
    const where = `${d.source}: ${d.ref}`;
    const podRef = `pod "${d.namespace}/${d.name}"`;
    if (d.name.length > 63 || !DNS_LABEL.test(d.name)) {
      problems.push(`${where}: the pod name "${d.name}" is not a DNS label (at most 63 lower case letters, digits and "-")`);
      continue;
    }
    let ip: string;
    try {
      ip = keptIP.get(d) ?? podAllocator.allocate();
    } catch (error) {
      problems.push(`${where}: ${(error as Error).message}`);
      continue;
    }
    const serviceAccount = typeof d.spec['serviceAccountName'] === 'string' ? d.spec['serviceAccountName'] : typeof d.spec['serviceAccount'] === 'string' ? d.spec['serviceAccount'] : 'default';
    if (serviceAccount !== 'default' && !serviceAccounts.some((sa) => sa.namespace === d.namespace && sa.name === serviceAccount)) {
      problems.push(`${where}: ${d.specPath}.serviceAccountName: ServiceAccount "${d.namespace}/${serviceAccount}" is not in the manifests`);
    }
    const labels = { ...stringMap(d.metadata['labels']), ...d.extraLabels };
    const annotations = stringMap(d.metadata['annotations']);
    const uid = uuidFrom(`${d.namespace}/${d.name}`);
    const netns = netnsName(options.netnsPrefix, d.namespace, d.name);
    const veth = vethName(netns);
    if (vethOwners.has(veth)) problems.push(`${where}: the interface name ${veth} of ${podRef} collides with ${vethOwners.get(veth)}'s; rename one of them`);
    vethOwners.set(veth, podRef);
    const ctx: LaunchContext = {
      podName: d.name,
      podNamespace: d.namespace,
      podUid: uid,
      podIP: ip,
      hostIP: bridgeIP,
      nodeName,
      serviceAccount,
      labels,
      annotations,
      configMaps: new Map(configMaps.filter((c) => c.namespace === d.namespace).map((c) => [c.name, c.data])),
      serviceEnv: serviceEnvironment(services.filter((s) => s.namespace === d.namespace)),
      runtimeVars,
      resolveProgram: options.resolveProgram,
    };
    const specs = (list: unknown, init: boolean): LaunchSpec[] => {
      if (list === undefined) return [];
      if (!Array.isArray(list)) {
        problems.push(`${where}: ${d.specPath}.${init ? 'initContainers' : 'containers'}: must be a list`);
        return [];
      }
      const out: LaunchSpec[] = [];
      list.forEach((c: unknown, i) => {
        const prefix = `${d.specPath}.${init ? 'initContainers' : 'containers'}[${i}]`;
        try {
          if (!isMap(c)) throw new LaunchError(prefix, 'must be a map');
          out.push(launchSpec(c, d.spec, init, ctx, prefix));
        } catch (error) {
          if (!(error instanceof LaunchError)) throw error;
          const containerName = isMap(c) && typeof c['name'] === 'string' ? ` (container "${c['name']}")` : '';
          problems.push(`${where}${containerName}: ${error.message}`);
        }
      });
      return out;
    };
    const initContainers = specs(d.spec['initContainers'], true);
    const containers = specs(d.spec['containers'], false);
    const names = [...initContainers, ...containers].map((c) => c.container);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined) problems.push(`${where}: container name "${dup}" is used twice`);
    const metadata = { name: d.name, namespace: d.namespace, uid, labels, annotations, ...(d.owner ? { ownerReferences: [{ apiVersion: d.owner.kind === 'Job' ? 'batch/v1' : 'apps/v1', kind: d.owner.kind, name: d.owner.name, controller: true }] } : {}) };
    pods.push({
      namespace: d.namespace,
      name: d.name,
      uid,
      labels,
      annotations,
      serviceAccount,
      ...(d.owner ? { owner: d.owner } : {}),
      ip,
      netns,
      veth,
      injected: d.injected,
      initContainers,
      containers,
      object: { apiVersion: 'v1', kind: 'Pod', metadata, spec: { ...d.spec, ...d.extraSpec, serviceAccountName: serviceAccount, nodeName }, status: { podIP: ip, podIPs: [{ ip }], hostIP: bridgeIP } },
      source: d.source,
    });
  }

  if (problems.length > 0) throw new PlanError(problems);
  return {
    nodeName,
    nodeNetns,
    bridge: { name: 'outrigger0', ip: bridgeIP, prefix: podCidr.prefix },
    podCidr: podCidr.text,
    serviceCidr: serviceCidr.text,
    namespaces: [...namespaces.values()],
    serviceAccounts,
    configMaps,
    services,
    pods,
    istioConfig,
    warnings,
  };
}

/** A UUID-shaped id derived from a name, stable across runs like the rest of the plan. */
function uuidFrom(text: string): string {
  const hex = [0, 1, 2, 3].map((i) => fnv32a(`${i}:${text}`).toString(16).padStart(8, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

