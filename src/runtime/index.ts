// The local mesh runtime: Kubernetes manifests run as network-namespace pods on
// one Linux machine. Pure cores (plan, launch, status, kube-proxy, dns, table)
// and thin shells (network, container, pod-runner, supervisor, teardown).
export { planCluster, PlanError } from './plan.js';
export type { ClusterPlan, PlannedPod, PlannedService, PlanOptions } from './plan.js';
export { loadManifests, parseManifests, ManifestError } from './manifests.js';
export { configChanges, splitApply, ApplyError } from './apply.js';
export { awaitResult, submitRequest } from './requests.js';
export type { ClusterRequest } from './requests.js';
export { startCluster, checkRanges, planFromManifests, preflightProblems, resolveProgram, RuntimeError } from './supervisor.js';
export type { ClusterOptions, RunningCluster } from './supervisor.js';
export { teardown } from './teardown.js';
export { StateDir, StateError, DEFAULT_STATE_DIR, processAlive } from './state.js';
export { podRow, podPhase, podReady } from './status.js';
export { podTable, serviceTable, deploymentTable, humanDuration, renderTable } from './table.js';
export { podCommand, containerEnv } from './container-command.js';
export { discoveryObjects, configFileName, resourceName } from './discovery-feed.js';
export { isIstioConfig } from './plan.js';
export { describePod } from './describe.js';
