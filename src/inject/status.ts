// The sidecar.istio.io/status annotation: what injection added, so that a second
// injection can take it out first and give the same pod as the first one did.
import { Annotation, Env, PrometheusAnnotation, ProxyContainerName } from './constants.js';
import { isObject } from './mesh.js';
import type { JsonObject } from './mesh.js';

export interface SidecarInjectionStatus {
  initContainers: string[] | null;
  containers: string[] | null;
  volumes: string[] | null;
  imagePullSecrets: string[] | null;
  revision: string;
}

const names = (list: unknown): string[] | null => {
  if (!Array.isArray(list) || list.length === 0) return null;
  return list.map((item) => String(isObject(item) ? item['name'] : ''));
};

/** The status of a rendered template pod spec, serialised as Istio does (nil lists as null). */
export function injectionStatus(templateSpec: JsonObject, revision: string): string {
  const status: SidecarInjectionStatus = {
    initContainers: names(templateSpec['initContainers']),
    containers: names(templateSpec['containers']),
    volumes: names(templateSpec['volumes']),
    imagePullSecrets: names(templateSpec['imagePullSecrets']),
    revision: revision === '' ? 'default' : revision,
  };
  return JSON.stringify(status);
}

export function parseInjectionStatus(value: string | undefined): SidecarInjectionStatus | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed = JSON.parse(value) as unknown;
    return isObject(parsed) ? (parsed as unknown as SidecarInjectionStatus) : undefined;
  } catch {
    return undefined;
  }
}

function envValue(container: JsonObject | undefined, name: string): string | undefined {
  const env = Array.isArray(container?.['env']) ? container['env'] : [];
  const entry = env.find((e) => isObject(e) && e['name'] === name);
  return isObject(entry) && typeof entry['value'] === 'string' ? entry['value'] : undefined;
}

/** Puts back the probes the previous injection pointed at the status port. */
function restoreProbes(containers: JsonObject[], probersJson: string | undefined): JsonObject[] {
  if (!probersJson) return containers;
  let probers: Record<string, JsonObject>;
  try {
    probers = JSON.parse(probersJson) as Record<string, JsonObject>;
  } catch {
    return containers;
  }
  const restore = (handler: unknown, original: JsonObject | undefined): unknown => {
    if (!isObject(handler) || !original) return handler;
    const rest = Object.fromEntries(Object.entries(handler).filter(([k]) => k !== 'httpGet'));
    const { timeoutSeconds: _timeout, ...action } = original;
    return { ...action, ...rest };
  };
  return containers.map((c) => {
    const name = String(c['name']);
    const next: JsonObject = { ...c };
    for (const [field, kind] of [['readinessProbe', 'readyz'], ['livenessProbe', 'livez'], ['startupProbe', 'startupz']] as const) {
      const original = probers[`/app-health/${name}/${kind}`];
      if (original && isObject(c[field])) next[field] = restore(c[field], original) as JsonObject;
    }
    const lifecycle = c['lifecycle'];
    if (isObject(lifecycle)) {
      const nextLifecycle: JsonObject = { ...lifecycle };
      for (const [field, kind] of [['preStop', 'prestop'], ['postStart', 'poststart']] as const) {
        const original = probers[`/app-lifecycle/${name}/${kind}`];
        if (original && isObject(lifecycle[field])) nextLifecycle[field] = restore(lifecycle[field], original) as JsonObject;
      }
      next['lifecycle'] = nextLifecycle;
    }
    return next;
  });
}

/**
 * Removes what an earlier injection added, per its status annotation: the listed
 * containers and init containers, the status itself, probe rewrites and the
 * Prometheus merge (restored from what the old proxy container recorded).
 */
export function stripInjected(meta: JsonObject, spec: JsonObject): { meta: JsonObject; spec: JsonObject } {
  const annotations = isObject(meta['annotations']) ? (meta['annotations'] as Record<string, string>) : {};
  const status = parseInjectionStatus(annotations[Annotation.SidecarStatus]);
  if (!status) return { meta, spec };
  const containers = (Array.isArray(spec['containers']) ? spec['containers'] : []).filter(isObject);
  const initContainers = (Array.isArray(spec['initContainers']) ? spec['initContainers'] : []).filter(isObject);
  const oldProxy = [...containers, ...initContainers].find((c) => c['name'] === ProxyContainerName);
  const injected = new Set(status.containers ?? []);
  const injectedInit = new Set(status.initContainers ?? []);
  const nextSpec: JsonObject = { ...spec };
  nextSpec['containers'] = restoreProbes(containers.filter((c) => !injected.has(String(c['name']))), envValue(oldProxy, Env.KubeAppProbers));
  const keptInit = initContainers.filter((c) => !injectedInit.has(String(c['name'])));
  if (keptInit.length > 0) nextSpec['initContainers'] = keptInit;
  else delete nextSpec['initContainers'];

  const nextAnnotations: Record<string, string> = { ...annotations };
  delete nextAnnotations[Annotation.SidecarStatus];
  const scrape = envValue(oldProxy, Env.PrometheusAnnotations);
  if (scrape !== undefined) {
    delete nextAnnotations[PrometheusAnnotation.scrape];
    delete nextAnnotations[PrometheusAnnotation.path];
    delete nextAnnotations[PrometheusAnnotation.port];
    try {
      const original = JSON.parse(scrape) as Record<string, string>;
      for (const key of ['scrape', 'path', 'port'] as const) if (original[key]) nextAnnotations[PrometheusAnnotation[key]] = original[key];
    } catch {
      // A broken record only means the merge cannot be undone.
    }
  }
  return { meta: { ...meta, annotations: nextAnnotations }, spec: nextSpec };
}
