// ENABLE_NATIVE_SIDECARS=auto: inject istio-proxy as a native sidecar (an init container with
// restartPolicy: Always) only when every node's kubelet runs it as one. Kubelets before 1.29
// (where the SidecarContainers feature became beta and on by default) would treat it as an
// ordinary init container that never exits, and the pod would never start. The decision is a
// pure function of the mode and the nodes; listing the nodes and logging are the shell.
import type { InjectionSettings } from '../inject/kube-inject.js';
import { KubeApiError } from '../kube/api/index.js';
import type { KubeClient, KubeObject } from '../kube/api/index.js';
import { scope } from '../log/index.js';
import type { SettingsSource } from './settings-source.js';

const log = scope('webhook');

export type NativeSidecarsMode = 'true' | 'false' | 'auto';

/** The first kubelet version that runs native sidecars without a feature gate. */
export const minimumNativeSidecarKubelet = { major: 1, minor: 29 } as const;

/** ENABLE_NATIVE_SIDECARS as a mode; unset is false (Istio's default), an unknown value is refused. */
export function nativeSidecarsMode(env: Readonly<Record<string, string | undefined>>): NativeSidecarsMode {
  const raw = (env['ENABLE_NATIVE_SIDECARS'] ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'false' || raw === '0') return 'false';
  if (raw === 'true' || raw === '1') return 'true';
  if (raw === 'auto') return 'auto';
  throw new NativeSidecarsError(`invalid value "${env['ENABLE_NATIVE_SIDECARS']}" for ENABLE_NATIVE_SIDECARS: use true, false or auto`);
}

export class NativeSidecarsError extends Error {}

/** "v1.29.3", "v1.30.1-eks-1234", "v1.31.0+k3s1" → major and minor; undefined when it is none of these. */
export function parseKubeletVersion(version: string): { major: number; minor: number } | undefined {
  const match = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$/.exec(version.trim());
  return match ? { major: Number(match[1]), minor: Number(match[2]) } : undefined;
}

export interface NativeSidecarsDecision {
  enabled: boolean;
  /** Why, for the log line. */
  reason: string;
}

/** What the nodes said: their list, or why there is none. */
export type NodesAnswer = { nodes: readonly KubeObject[] } | { unavailable: string };

export function decideNativeSidecars(mode: NativeSidecarsMode, answer?: NodesAnswer): NativeSidecarsDecision {
  if (mode === 'true') return { enabled: true, reason: 'ENABLE_NATIVE_SIDECARS=true' };
  if (mode === 'false') return { enabled: false, reason: 'ENABLE_NATIVE_SIDECARS is false' };
  if (answer === undefined) return { enabled: false, reason: 'ENABLE_NATIVE_SIDECARS=auto, but there is no Kubernetes API to ask for the nodes\' kubelet versions' };
  if ('unavailable' in answer) return { enabled: false, reason: `ENABLE_NATIVE_SIDECARS=auto, but the nodes cannot be listed: ${answer.unavailable}` };
  // No nodes says nothing about the kubelets that will run the pods: stay on the safe side.
  if (answer.nodes.length === 0) return { enabled: false, reason: 'ENABLE_NATIVE_SIDECARS=auto, but the cluster has no nodes to ask' };
  const { major, minor } = minimumNativeSidecarKubelet;
  const older: string[] = [];
  for (const node of answer.nodes) {
    const version = String(((node['status'] as Record<string, unknown> | undefined)?.['nodeInfo'] as Record<string, unknown> | undefined)?.['kubeletVersion'] ?? '');
    const parsed = parseKubeletVersion(version);
    if (!parsed || parsed.major < major || (parsed.major === major && parsed.minor < minor)) older.push(`${node.metadata?.name ?? '?'} (${version === '' ? 'no kubelet version' : version})`);
  }
  if (older.length > 0) {
    const shown = older.length > 5 ? `${older.slice(0, 5).join(', ')} and ${older.length - 5} more` : older.join(', ');
    return { enabled: false, reason: `ENABLE_NATIVE_SIDECARS=auto: ${older.length} of ${answer.nodes.length} nodes run a kubelet before v${major}.${minor}: ${shown}` };
  }
  return { enabled: true, reason: `ENABLE_NATIVE_SIDECARS=auto: all ${answer.nodes.length} nodes run kubelet v${major}.${minor} or later` };
}

async function listNodes(client: KubeClient): Promise<NodesAnswer> {
  try {
    return { nodes: (await client.list('/api/v1/nodes')).items };
  } catch (error) {
    const hint = error instanceof KubeApiError && error.status === 403 ? ' (grant the injector list on nodes, or set ENABLE_NATIVE_SIDECARS=true or false)' : '';
    return { unavailable: `${(error as Error).message}${hint}` };
  }
}

/**
 * Decides once: lists the nodes when the mode is auto and a client is given, and logs the
 * decision with its reason (the answer to "why is my sidecar (not) native?").
 */
export async function detectNativeSidecars(env: Readonly<Record<string, string | undefined>>, client?: KubeClient): Promise<NativeSidecarsDecision> {
  const mode = nativeSidecarsMode(env);
  const answer = mode === 'auto' && client ? await listNodes(client) : undefined;
  const decision = decideNativeSidecars(mode, answer);
  if (mode === 'auto') log.info(`native sidecars ${decision.enabled ? 'on' : 'off'}: ${decision.reason}`);
  return decision;
}

export interface NativeSidecarsDetectorOptions {
  /** How often auto lists the nodes again (nodes join and are upgraded); 10 minutes by default. */
  recheckIntervalMs?: number;
}

/**
 * ENABLE_NATIVE_SIDECARS=auto kept current: decided at start, then the nodes are listed again
 * now and then (a list, not a watch: node status changes all the time and one list every few
 * minutes is cheaper than all of them), logging when the decision changes. A later list that
 * fails keeps the decision it had: a passing API outage must not flip every new pod's layout.
 */
export class NativeSidecarsDetector {
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  private constructor(private decision: NativeSidecarsDecision) {}

  static async start(env: Readonly<Record<string, string | undefined>>, client?: KubeClient, options: NativeSidecarsDetectorOptions = {}): Promise<NativeSidecarsDetector> {
    const detector = new NativeSidecarsDetector(await detectNativeSidecars(env, client));
    if (nativeSidecarsMode(env) === 'auto' && client) {
      detector.timer = setInterval(() => void detector.recheck(client), options.recheckIntervalMs ?? 600_000);
      // A recheck never keeps the process alive on its own.
      detector.timer.unref();
    }
    return detector;
  }

  get enabled(): boolean {
    return this.decision.enabled;
  }

  get reason(): string {
    return this.decision.reason;
  }

  private async recheck(client: KubeClient): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const answer = await listNodes(client);
      if ('unavailable' in answer) {
        log.warn(`native sidecars stay ${this.decision.enabled ? 'on' : 'off'}: the nodes could not be listed again: ${answer.unavailable}`);
        return;
      }
      const next = decideNativeSidecars('auto', answer);
      if (next.enabled !== this.decision.enabled) log.info(`native sidecars now ${next.enabled ? 'on' : 'off'}: ${next.reason}`);
      this.decision = next;
    } finally {
      this.checking = false;
    }
  }

  close(): void {
    clearInterval(this.timer);
  }
}

/**
 * A source whose settings carry the native-sidecar decision (fixed, or read on every request
 * from a detector). The wrapped settings object is made once per inner settings object and
 * decision, so per-settings caches (the review cache) keep working.
 */
export function withNativeSidecars(source: SettingsSource, enabled: boolean | (() => boolean)): SettingsSource {
  const decide = typeof enabled === 'function' ? enabled : () => enabled;
  let inner: InjectionSettings | undefined;
  let innerDecision: boolean | undefined;
  let outer: InjectionSettings | undefined;
  return {
    current: () => {
      const settings = source.current();
      const decision = decide();
      if (settings !== inner || decision !== innerDecision) {
        inner = settings;
        innerDecision = decision;
        outer = settings.nativeSidecars === decision ? settings : { ...settings, nativeSidecars: decision };
      }
      return outer!;
    },
  };
}
