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

/**
 * Decides once, at start: lists the nodes when the mode is auto and a client is given, and logs
 * the decision with its reason (the answer to "why is my sidecar (not) native?").
 */
export async function detectNativeSidecars(env: Readonly<Record<string, string | undefined>>, client?: KubeClient): Promise<NativeSidecarsDecision> {
  const mode = nativeSidecarsMode(env);
  let answer: NodesAnswer | undefined;
  if (mode === 'auto' && client) {
    try {
      answer = { nodes: (await client.list('/api/v1/nodes')).items };
    } catch (error) {
      const hint = error instanceof KubeApiError && error.status === 403 ? ' (grant the injector list on nodes, or set ENABLE_NATIVE_SIDECARS=true or false)' : '';
      answer = { unavailable: `${(error as Error).message}${hint}` };
    }
  }
  const decision = decideNativeSidecars(mode, answer);
  if (mode === 'auto') log.info(`native sidecars ${decision.enabled ? 'on' : 'off'}: ${decision.reason}`);
  return decision;
}

/**
 * A source whose settings carry the detected decision. The wrapped settings object is made once
 * per inner settings object, so per-settings caches (the review cache) keep working.
 */
export function withNativeSidecars(source: SettingsSource, enabled: boolean): SettingsSource {
  let inner: InjectionSettings | undefined;
  let outer: InjectionSettings | undefined;
  return {
    current: () => {
      const settings = source.current();
      if (settings !== inner) {
        inner = settings;
        outer = settings.nativeSidecars === enabled ? settings : { ...settings, nativeSidecars: enabled };
      }
      return outer!;
    },
  };
}
