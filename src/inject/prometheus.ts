// Prometheus metrics merging: when the pod is scraped, the scrape annotations are
// pointed at the agent (15020 /stats/prometheus), which serves the proxy's metrics
// merged with the app's; the app's own scrape settings go to the proxy as
// ISTIO_PROMETHEUS_ANNOTATIONS so that nothing the app exported is lost.
import { Annotation, Env, PrometheusAnnotation, ProxyContainerName } from './constants.js';
import { setContainerEnv } from './probes.js';
import type { JsonObject } from './mesh.js';

// Prometheus configurations in the wild use both spellings.
const variants = (key: string) => [key, key.replace('prometheus.io/', 'prometheus/io/'), key.replace('prometheus.io/', 'prometheus.io.')];

function find(annotations: Readonly<Record<string, string>>, key: string): string | undefined {
  for (const name of variants(key)) if (annotations[name] !== undefined) return annotations[name];
  return undefined;
}

function parseGoBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}

export interface PrometheusMergeResult {
  annotations: Record<string, string>;
  containers: JsonObject[];
}

export function applyPrometheusMerge(
  annotations: Readonly<Record<string, string>>,
  containers: readonly JsonObject[],
  statusPort: number,
  meshEnabled: boolean,
): PrometheusMergeResult {
  const unchanged = { annotations: { ...annotations }, containers: [...containers] };
  const scrapeText = find(annotations, PrometheusAnnotation.scrape);
  // scrape: "false" means the user does not want the pod scraped at all.
  if (scrapeText !== undefined && parseGoBool(scrapeText) === false) return unchanged;
  const mergeText = annotations[Annotation.PrometheusMergeMetrics];
  const enabled = mergeText !== undefined ? parseGoBool(mergeText) ?? meshEnabled : meshEnabled;
  if (!enabled) return unchanged;
  const target = String(statusPort);
  // Already pointed at the agent: a re-injection, or the user's own choice.
  if (find(annotations, PrometheusAnnotation.port) === target) return unchanged;

  const original: Record<string, string> = {};
  const scrape = find(annotations, PrometheusAnnotation.scrape);
  const path = find(annotations, PrometheusAnnotation.path);
  const port = find(annotations, PrometheusAnnotation.port);
  if (scrape) original['scrape'] = scrape;
  if (path) original['path'] = path;
  if (port) original['port'] = port;
  let nextContainers = [...containers];
  if (Object.keys(original).length > 0 && containers.some((c) => c['name'] === ProxyContainerName)) {
    nextContainers = setContainerEnv(containers, ProxyContainerName, Env.PrometheusAnnotations, JSON.stringify(original));
  }
  const next: Record<string, string> = {};
  const managed = new Set([PrometheusAnnotation.scrape, PrometheusAnnotation.path, PrometheusAnnotation.port].flatMap(variants));
  for (const [key, value] of Object.entries(annotations)) if (!managed.has(key)) next[key] = value;
  next[PrometheusAnnotation.port] = target;
  next[PrometheusAnnotation.path] = '/stats/prometheus';
  next[PrometheusAnnotation.scrape] = 'true';
  return { annotations: next, containers: nextContainers };
}
