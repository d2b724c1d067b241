// The supervising process of a local cluster: plans it from the manifests,
// builds the network, runs the pods, keeps each pod's status and the Services'
// endpoints current, and takes it all down again on SIGTERM.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { injectObject, loadSettings } from '../inject/kube-inject.js';
import type { InjectionSettings } from '../inject/kube-inject.js';
import { stringifyYamlDocuments } from '../kube/index.js';
import type { KubeObject } from '../kube/index.js';
import { configFileName, discoveryObjects } from './discovery-feed.js';
import { controlPlaneObjects, REGISTRY_VAR, RUNTIME_DISCOVERY_ADDRESS } from './control-plane.js';
import { KUBELET_BACKOFF } from './backoff.js';
import type { BackoffPolicy } from './backoff.js';
import { serviceRules } from './endpoints.js';
import { parseCidr, rangeConflicts } from './ipam.js';
import { loadManifests } from './manifests.js';
import { applyServiceRules, createNodeNetwork, createPodNetwork, hostRanges, removeEtcNetns, removeNetns, writePodDns, ETC_NETNS } from './network.js';
import { planCluster, PlanError } from './plan.js';
import type { ClusterPlan, PlannedPod, PlanOptions } from './plan.js';
import type { SourcedObject } from './manifests.js';
import { applyObjects, deleteObjects } from './desired.js';
import { diffPlans, highestAddress, keptAddresses } from './converge.js';
import { answerRequest, nextRequest } from './requests.js';
import type { ClusterRequest, ClusterResult } from './requests.js';
import { PodRunner } from './pod-runner.js';
import { recordEvent } from './events.js';
import { ProberClient } from './prober-client.js';
import { stageOutrigger, stageSamples } from './staging.js';
import { processAlive, StateDir } from './state.js';
import type { PodStatusRecord } from './state.js';
import { teardown } from './teardown.js';

export interface ClusterOptions {
  manifests: string[];
  stateDir: string;
  netnsPrefix: string;
  podCidr: string;
  serviceCidr: string;
  /** Inject sidecars where namespaces or pods ask for them. */
  sidecars: boolean;
  /** Run the control plane (outrigger discovery) as the istiod pod of istio-system. */
  discovery?: boolean;
  backoff?: BackoffPolicy;
  /** How long a container has to stop after SIGTERM. */
  graceMs?: number;
  log?: (message: string) => void;
}

export class RuntimeError extends Error {}

/** A program by name on this machine's PATH, as an absolute path. */
export function resolveProgram(name: string): string | undefined {
  if (name.includes('/')) return existsSync(name) ? path.resolve(name) : undefined;
  for (const dir of (process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    const candidate = path.join(dir, name);
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** What the machine must offer, each missing piece with what to do about it. */
export function preflightProblems(): string[] {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('the local runtime needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to create network namespaces: run it with sudo');
  for (const [tool, pkg] of [['ip', 'iproute2'], ['bridge', 'iproute2'], ['iptables-restore', 'iptables'], ['setpriv', 'util-linux']] as const) {
    if (resolveProgram(tool) === undefined && !existsSync(`/usr/sbin/${tool}`) && !existsSync(`/sbin/${tool}`)) problems.push(`${tool} is missing: install the ${pkg} package`);
  }
  return problems;
}

/** The cluster's objects: the manifests, and the control plane when it runs one. */
export function desiredObjects(options: ClusterOptions): SourcedObject[] {
  const objects = loadManifests(options.manifests);
  if (!options.discovery) return objects;
  const haveIstioSystem = objects.some((o) => o.object.kind === 'Namespace' && o.object.metadata?.name === 'istio-system');
  return [...controlPlaneObjects(haveIstioSystem).map((object) => ({ object, source: 'the control plane (--discovery)' })), ...objects];
}

export function planFromObjects(objects: readonly SourcedObject[], options: ClusterOptions, runtimeVars: Record<string, string>, keep?: PlanOptions['keep']): ClusterPlan {
  const settings = options.sidecars ? runtimeInjectionSettings() : undefined;
  return planCluster(objects, {
    podCidr: options.podCidr,
    serviceCidr: options.serviceCidr,
    netnsPrefix: options.netnsPrefix,
    resolveProgram,
    runtimeVars,
    ...(keep ? { keep } : {}),
    ...(settings ? { inject: (workload: KubeObject) => injectObject(workload, settings).object as KubeObject } : {}),
  });
}

export function planFromManifests(options: ClusterOptions, runtimeVars: Record<string, string>): ClusterPlan {
  return planFromObjects(desiredObjects(options), options, runtimeVars);
}

/**
 * The default injection settings, except that sidecars dial discovery's plaintext
 * xDS port (15010): the runtime's istiod does not serve 15012's mTLS yet.
 */
function runtimeInjectionSettings(): InjectionSettings {
  const settings = loadSettings({}, '', process.env);
  const defaultConfig = { ...(settings.meshConfig['defaultConfig'] as Record<string, unknown>), discoveryAddress: RUNTIME_DISCOVERY_ADDRESS };
  return { ...settings, meshConfig: { ...settings.meshConfig, defaultConfig } };
}

/** The cluster's address ranges must not be in use on this machine already. */
export async function checkRanges(plan: Pick<ClusterPlan, 'podCidr' | 'serviceCidr'>): Promise<void> {
  const conflicts = rangeConflicts([{ name: 'pod', cidr: parseCidr(plan.podCidr) }, { name: 'service', cidr: parseCidr(plan.serviceCidr) }], await hostRanges());
  if (conflicts.length > 0) throw new RuntimeError(conflicts.join('\n'));
}

export interface RunningCluster {
  plan: ClusterPlan;
  state: StateDir;
  pods: PodRunner[];
  stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<RunningCluster> {
  const log = options.log ?? ((m: string) => process.stderr.write(`${new Date().toISOString()} ${m}\n`));
  const preflight = preflightProblems();
  if (preflight.length > 0) throw new RuntimeError(preflight.join('\n'));
  const state = new StateDir(options.stateDir);
  if (state.exists()) {
    const pid = state.read().supervisorPid;
    throw new RuntimeError(processAlive(pid) ? `a cluster is already running from ${options.stateDir} (supervisor pid ${pid}); "outrigger down" stops it` : `${options.stateDir} holds the state of a cluster that was not torn down; run "outrigger down" first`);
  }
  state.create({ version: 1, supervisorPid: process.pid, startedAt: new Date().toISOString(), netnsPrefix: options.netnsPrefix, netns: [], etcNetns: [], stages: [] });

  let cluster: RunningCluster | undefined;
  try {
    cluster = await build(options, state, log);
    return cluster;
  } finally {
    // The supervisor's log says why it failed: it stays for whoever started it.
    if (!cluster) await teardown(options.stateDir, { keepLog: true });
  }
}

async function build(options: ClusterOptions, state: StateDir, log: (m: string) => void): Promise<RunningCluster> {
  const samples = stageSamples();
  state.update((r) => r.stages.push(samples.dir));
  const runtimeVars = { OUTRIGGER_SAMPLES: samples.path('samples'), [REGISTRY_VAR]: state.registryDir };
  let objects = desiredObjects(options);
  let plan = planFromObjects(objects, options, runtimeVars);
  for (const w of plan.warnings) log(`warning: ${w}`);
  await checkRanges(plan);
  state.writePlan(plan);

  let outrigger: string[] | undefined;
  const outriggerCommand = () => {
    if (!outrigger) {
      const staged = stageOutrigger();
      state.update((r) => r.stages.push(staged.dir));
      outrigger = [process.execPath, staged.path('bin/outrigger')];
    }
    return outrigger;
  };

  for (const obj of plan.istioConfig) state.writeConfig(configFileName(obj), stringifyYamlDocuments([obj]));
  await createNodeNetwork(plan, state);
  for (const pod of plan.pods) await createPodNetwork(plan, pod, state);
  const prober = new ProberClient(plan.nodeNetns);

  let scheduled = false;
  let readyKey = '';
  let lastRegistryKey = '';
  let applying = Promise.resolve();
  const pods: PodRunner[] = [];
  // Set once the state directory is being removed: a container event arriving late must not write into it.
  let tornDown = false;
  const publish = () => {
    scheduled = false;
    if (tornDown) return;
    const records: PodStatusRecord[] = pods.map((r) => ({ namespace: r.pod.namespace, name: r.pod.name, phase: r.phase(), ready: r.ready(), ...(r.startedAt ? { startedAt: r.startedAt } : {}), status: r.status(), events: r.events }));
    state.writeStatuses(records);
    // Discovery follows pods as they become ready, fail or finish.
    const registryKey = records.map((r) => `${r.phase}/${r.ready}`).join(',');
    if (registryKey !== lastRegistryKey) {
      lastRegistryKey = registryKey;
      const byName = new Map(records.map((r) => [`${r.namespace}/${r.name}`, r]));
      state.writeRegistry(stringifyYamlDocuments(discoveryObjects(plan, (ns, name) => byName.get(`${ns}/${name}`))));
    }
    const ready = new Set(pods.filter((r) => r.ready()).map((r) => r.pod.uid));
    const key = [...ready].sort().join(',');
    if (key === readyKey) return;
    readyKey = key;
    const rules = serviceRules(plan.services, plan.pods, (pod) => ready.has(pod.uid));
    applying = applying.then(() => applyServiceRules(plan, rules)).catch((error: Error) => log(`kube-proxy rules: ${error.message}`));
  };
  const onChange = () => {
    if (scheduled) return;
    scheduled = true;
    setTimeout(publish, 20);
  };
  const newRunner = (pod: PlannedPod): PodRunner => {
    const runner: PodRunner = new PodRunner(
      pod,
      (container) => ({
        netns: pod.netns,
        podIP: pod.ip,
        podName: pod.name,
        logFile: state.logFile(pod.namespace, pod.name, container),
        outriggerCommand,
        prober,
        backoff: options.backoff ?? KUBELET_BACKOFF,
        onChange,
        log,
        event: (type, reason, message) => {
          runner.events = recordEvent(runner.events, type, reason, message, new Date().toISOString());
          onChange();
        },
      }),
      options.graceMs ?? 5000,
    );
    return runner;
  };
  const runPod = (runner: PodRunner) => void runner.run().catch((error: Error) => log(`pod ${runner.pod.namespace}/${runner.pod.name}: ${error.message}`));
  for (const pod of plan.pods) pods.push(newRunner(pod));
  publish();
  for (const runner of pods) runPod(runner);
  log(`cluster up: ${plan.pods.length} pods, ${plan.services.length} services; node namespace ${plan.nodeNetns}, bridge ${plan.bridge.ip}/${plan.bridge.prefix}`);

  /**
   * `apply`/`delete` of workloads and Services while running: re-plan with every
   * address kept, stop and remove the pods that go, create and start the new
   * ones, and rewrite the hosts files when Services changed. A plan with problems
   * changes nothing.
   */
  // The highest pod address handed out so far: new pods take addresses after it (ipam.ts).
  let lastPodIP: string | undefined;
  const converge = async (request: ClusterRequest): Promise<ClusterResult> => {
    const change = request.op === 'apply' ? { ...applyObjects(objects, request.objects), missing: [] as string[] } : deleteObjects(objects, request.objects);
    if (!change.changed) return { ok: change.missing.length === 0, lines: change.lines, problems: change.missing };
    let next: ClusterPlan;
    try {
      next = planFromObjects(change.objects, options, runtimeVars, keptAddresses({ ...plan, lastPodIP }));
    } catch (error) {
      if (error instanceof PlanError) return { ok: false, lines: [], problems: [...error.problems] };
      throw error;
    }
    const diff = diffPlans(plan, next);
    for (const pod of diff.remove) {
      const at = pods.findIndex((r) => r.pod.uid === pod.uid && r.pod.netns === pod.netns);
      if (at < 0) continue;
      const [runner] = pods.splice(at, 1);
      await runner!.stop(options.graceMs ?? 5000);
      await removeNetns(pod.netns);
      const etc = path.join(ETC_NETNS, pod.netns);
      removeEtcNetns(etc);
      state.update((r) => {
        r.netns = r.netns.filter((n) => n !== pod.netns);
        r.etcNetns = r.etcNetns.filter((d) => d !== etc);
      });
    }
    objects = change.objects;
    plan = { ...next, pods: diff.pods };
    lastPodIP = highestAddress([lastPodIP, ...plan.pods.map((p) => p.ip)]);
    state.writeObjects(objects);
    state.writePlan(plan);
    for (const pod of diff.create) await createPodNetwork(plan, pod, state);
    if (diff.servicesChanged || diff.create.length > 0 || diff.remove.length > 0) {
      // Names of Services and of headless members live in every pod's hosts file.
      for (const pod of plan.pods) if (!diff.create.includes(pod)) writePodDns(plan, pod, state);
    }
    for (const pod of diff.create) {
      const runner = newRunner(pod);
      pods.push(runner);
      runPod(runner);
    }
    readyKey = '\0'; // Services may have changed under the same ready pods: redo the rules.
    lastRegistryKey = '\0';
    onChange();
    log(`${request.op}: ${change.lines.join('; ')}`);
    return { ok: change.missing.length === 0, lines: change.lines, problems: change.missing };
  };
  state.writeObjects(objects);
  // One request at a time; stopping waits for the one under way.
  let converging: Promise<void> | undefined;
  const requestPoll = setInterval(() => {
    if (converging) return;
    const next = nextRequest(state.dir);
    if (!next) return;
    converging = converge(next.request)
      .catch((error: Error) => ({ ok: false, lines: [], problems: [`the cluster could not be changed: ${error.message}`] }))
      .then((result) => answerRequest(state.dir, next.id, result))
      .finally(() => (converging = undefined));
  }, 200);

  let stopping: Promise<void> | undefined;
  return {
    get plan() {
      return plan;
    },
    state,
    pods,
    stop() {
      stopping ??= (async () => {
        clearInterval(requestPoll);
        await converging;
        await Promise.all(pods.map((p) => p.stop(options.graceMs ?? 5000)));
        publish();
        prober.close();
        await applying;
        tornDown = true;
        await teardown(options.stateDir);
      })();
      return stopping;
    },
  };
}

/** Whether `ip netns exec` works here at all (it needs a mounted /run/netns and privileges). */
export function netnsWorks(): boolean {
  return spawnSync('ip', ['netns', 'list']).status === 0;
}
