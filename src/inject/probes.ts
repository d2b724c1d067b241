// Application probe rewriting. Under mTLS the kubelet cannot reach the app's
// probes through the sidecar, so httpGet, tcpSocket and grpc probes (and httpGet
// lifecycle hooks) are pointed at the agent's status port, which probes the app
// itself from inside the pod. The originals go to the proxy as ISTIO_KUBE_APP_PROBERS.
import { Env, ProxyContainerName } from './constants.js';
import { isObject } from './mesh.js';
import type { Json, JsonObject } from './mesh.js';

type Container = JsonObject;

const probeKinds = [
  ['readinessProbe', 'readyz'],
  ['livenessProbe', 'livez'],
  ['startupProbe', 'startupz'],
] as const;

const lifecycleKinds = [
  ['preStop', 'prestop'],
  ['postStart', 'poststart'],
] as const;

export function probePath(container: string, kind: 'readyz' | 'livez' | 'startupz'): string {
  return `/app-health/${container}/${kind}`;
}

export function lifecyclePath(container: string, kind: 'prestop' | 'poststart'): string {
  return `/app-lifecycle/${container}/${kind}`;
}

/** A named port ("http") becomes the container's port number, since the agent cannot look names up. */
function resolvePort(port: Json | undefined, container: Container): Json | undefined {
  if (typeof port !== 'string' || /^\d+$/.test(port)) return typeof port === 'string' ? Number(port) : port;
  const ports = Array.isArray(container['ports']) ? container['ports'] : [];
  const match = ports.find((p) => isObject(p) && p['name'] === port);
  return isObject(match) && typeof match['containerPort'] === 'number' ? match['containerPort'] : port;
}

/** The prober the agent runs for a handler, or undefined when it cannot be rewritten. */
function prober(handler: JsonObject, container: Container, timeoutSeconds: Json | undefined): JsonObject | undefined {
  const out: JsonObject = {};
  if (isObject(handler['httpGet'])) {
    out['httpGet'] = { ...handler['httpGet'], port: resolvePort(handler['httpGet']['port'], container) ?? null };
  } else if (isObject(handler['tcpSocket'])) {
    out['tcpSocket'] = { ...handler['tcpSocket'], port: resolvePort(handler['tcpSocket']['port'], container) ?? null };
  } else if (isObject(handler['grpc'])) {
    out['grpc'] = { ...handler['grpc'] };
  } else return undefined;
  if (typeof timeoutSeconds === 'number' && timeoutSeconds > 0) out['timeoutSeconds'] = timeoutSeconds;
  return out;
}

function rewrittenHandler(handler: JsonObject, path: string, statusPort: number): JsonObject {
  const rest = Object.fromEntries(Object.entries(handler).filter(([k]) => k !== 'httpGet' && k !== 'tcpSocket' && k !== 'grpc'));
  // HTTPS probes become HTTP to the agent, which speaks HTTPS to the app itself.
  const original = isObject(handler['httpGet']) ? handler['httpGet'] : {};
  const httpGet: JsonObject = { ...original, path, port: statusPort };
  if (httpGet['scheme'] === 'HTTPS') httpGet['scheme'] = 'HTTP';
  if (!isObject(handler['httpGet'])) {
    delete httpGet['scheme'];
    delete httpGet['httpHeaders'];
    delete httpGet['host'];
  }
  return { httpGet, ...rest };
}

export interface ProbeRewrite {
  /** The containers with their probes pointed at the status port. */
  containers: Container[];
  /** ISTIO_KUBE_APP_PROBERS: path → original prober, keys sorted as Go's json.Marshal sorts them. */
  probers: Record<string, JsonObject>;
}

/** Rewrites every app container's probes and httpGet lifecycle hooks; the proxy's own are left alone. */
export function rewriteAppProbes(containers: readonly Container[], statusPort: number): ProbeRewrite {
  const probers: Record<string, JsonObject> = {};
  const rewritten = containers.map((container) => {
    const name = String(container['name'] ?? '');
    if (name === ProxyContainerName) return container;
    const next: Container = { ...container };
    for (const [field, kind] of probeKinds) {
      const probe = container[field];
      if (!isObject(probe)) continue;
      const original = prober(probe, container, probe['timeoutSeconds']);
      if (!original) continue;
      const path = probePath(name, kind);
      probers[path] = original;
      next[field] = rewrittenHandler(probe, path, statusPort);
    }
    const lifecycle = container['lifecycle'];
    if (isObject(lifecycle)) {
      const nextLifecycle: JsonObject = { ...lifecycle };
      for (const [field, kind] of lifecycleKinds) {
        const hook = lifecycle[field];
        if (!isObject(hook) || !isObject(hook['httpGet'])) continue;
        const path = lifecyclePath(name, kind);
        probers[path] = prober(hook, container, undefined)!;
        nextLifecycle[field] = rewrittenHandler(hook, path, statusPort);
      }
      next['lifecycle'] = nextLifecycle;
    }
    return next;
  });
  const sorted = Object.fromEntries(Object.keys(probers).sort().map((k) => [k, probers[k]!]));
  return { containers: rewritten, probers: sorted };
}

/** Sets (or replaces) an environment variable on the named container. */
export function setContainerEnv(containers: readonly Container[], containerName: string, name: string, value: string): Container[] {
  return containers.map((c) => {
    if (c['name'] !== containerName) return c;
    const env = (Array.isArray(c['env']) ? c['env'] : []).filter((e) => !(isObject(e) && e['name'] === name));
    return { ...c, env: [...env, { name, value }] };
  });
}

export const KubeAppProbersEnv = Env.KubeAppProbers;
