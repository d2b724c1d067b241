// What `kubectl get pods` shows for a pod, decided from its containers' states:
// READY (ready containers / containers, native sidecars included), STATUS
// (Init:1/2, PodInitializing, Running, CrashLoopBackOff, Error, Completed,
// Terminating) and RESTARTS; plus the pod's phase and readiness for endpoints.
// The rules follow kubectl's printer, written here from its observable behaviour.

export type ContainerState =
  | { kind: 'waiting'; reason: string; message?: string }
  | { kind: 'running'; startedAt: string }
  | { kind: 'terminated'; exitCode: number; reason: string; signal?: string; finishedAt: string };

export interface ContainerStatus {
  name: string;
  state: ContainerState;
  ready: boolean;
  /** The startup probe passed (or there is none) once the container runs. */
  started: boolean;
  restartCount: number;
  /** A native sidecar: an init container with restartPolicy Always. */
  restartable?: boolean;
}

export interface PodStatus {
  initContainers: ContainerStatus[];
  containers: ContainerStatus[];
  terminating?: boolean;
  /** An init container failed under restartPolicy Never: the pod will not start. */
  failed?: boolean;
  /** Init containers are done and the containers started (kube's Initialized condition). */
  initialized?: boolean;
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

export interface PodRow {
  ready: string;
  status: string;
  restarts: number;
}

function terminatedReason(state: Extract<ContainerState, { kind: 'terminated' }>): string {
  if (state.reason !== '') return state.reason;
  return state.signal !== undefined ? `Signal:${state.signal}` : `ExitCode:${state.exitCode}`;
}

function initStatus(status: PodStatus): string | undefined {
  // Once initialised, a native sidecar's later state (stopped after a Job's app finished) is not initialisation.
  if (status.initialized) return undefined;
  const inits = status.initContainers;
  for (const [i, c] of inits.entries()) {
    const s = c.state;
    if (s.kind === 'terminated' && s.exitCode === 0) continue;
    // A native sidecar that has started no longer holds the pod in initialisation.
    if (c.restartable && s.kind === 'running' && c.started) continue;
    if (s.kind === 'terminated') return `Init:${terminatedReason(s)}`;
    if (s.kind === 'waiting' && s.reason !== '' && s.reason !== 'PodInitializing') return `Init:${s.reason}`;
    return `Init:${i}/${inits.length}`;
  }
  return undefined;
}

export function podRow(status: PodStatus): PodRow {
  const all = [...status.initContainers, ...status.containers];
  const restarts = all.reduce((n, c) => n + c.restartCount, 0);
  const counted = [...status.initContainers.filter((c) => c.restartable), ...status.containers];
  const ready = `${counted.filter((c) => c.ready).length}/${counted.length}`;
  if (status.terminating) return { ready, status: 'Terminating', restarts };
  const init = initStatus(status);
  if (init !== undefined) return { ready, status: init, restarts };

  let reason = podPhase(status) as string;
  let hasRunning = false;
  // Like kubectl, the last container with something to say wins.
  for (const c of [...status.containers].reverse()) {
    const s = c.state;
    if (s.kind === 'waiting' && s.reason !== '') reason = s.reason;
    else if (s.kind === 'terminated') reason = terminatedReason(s);
    else if (s.kind === 'running' && c.ready) hasRunning = true;
  }
  if (reason === 'Completed' && hasRunning) reason = 'Running';
  return { ready, status: reason, restarts };
}

export function podPhase(status: PodStatus): PodPhase {
  // An init container that failed for good is the runner's to report (it marks the pod failed).
  if (initStatus(status) !== undefined) return status.failed ? 'Failed' : 'Pending';
  const states = status.containers.map((c) => c.state);
  if (states.some((s) => s.kind === 'running')) return 'Running';
  if (states.length > 0 && states.every((s) => s.kind === 'terminated')) {
    return states.every((s) => s.kind === 'terminated' && s.exitCode === 0) ? 'Succeeded' : 'Failed';
  }
  // Restarting after a crash (CrashLoopBackOff) keeps a started pod Running.
  if (status.containers.some((c) => c.restartCount > 0)) return 'Running';
  return 'Pending';
}

/** Ready for endpoints: running, and every container (and native sidecar) ready. */
export function podReady(status: PodStatus): boolean {
  if (status.terminating) return false;
  const counted = [...status.initContainers.filter((c) => c.restartable), ...status.containers];
  return counted.length > 0 && counted.every((c) => c.ready && c.state.kind === 'running');
}
