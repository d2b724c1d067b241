// kube-inject: injection over a stream of Kubernetes YAML documents, as
// `istioctl kube-inject` does. Workloads are matched by kind whatever their
// apiVersion; everything else passes through untouched.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { documentLabel, isList, listItems, objectRef, parseYamlDocuments, podTemplateAccessor, stringifyYaml, withListItems } from '../kube/index.js';
import type { KubeObject } from '../kube/index.js';
import { packageRoot } from '../paths.js';
import { AnnotationError } from './annotations.js';
import { injectPod } from './inject-pod.js';
import { parseInjectorConfig } from './injector-config.js';
import type { InjectorConfig } from './injector-config.js';
import { applyMeshConfig, defaultMeshConfig, isObject } from './mesh.js';
import type { JsonObject } from './mesh.js';
import { injectRequired } from './policy.js';
import { applyValues, defaultValues } from './values.js';

export interface InjectionSettings {
  config: InjectorConfig;
  meshConfig: JsonObject;
  values: JsonObject;
  revision: string;
  nativeSidecars: boolean;
  env: Readonly<Record<string, string | undefined>>;
}

export class KubeInjectError extends Error {}

export const defaultInjectConfigPath = path.join(packageRoot, 'manifests', 'injection', 'config.yaml');

/**
 * A file given to --injectConfigFile / --valuesFile / --meshConfigFile holds the
 * ConfigMap key's content; a whole ConfigMap is accepted too (its data key is used).
 */
export function configMapKey(text: string, key: string): string {
  try {
    const parsed = parseYaml(text) as unknown;
    if (isObject(parsed) && parsed['kind'] === 'ConfigMap' && isObject(parsed['data'])) {
      const value = parsed['data'][key];
      if (typeof value !== 'string') throw new KubeInjectError(`the ConfigMap has no data key "${key}"`);
      return value;
    }
  } catch (error) {
    if (error instanceof KubeInjectError) throw error;
    // Not YAML we understand at this level: let the specific parser report it.
  }
  return text;
}

/** ENABLE_NATIVE_SIDECARS: "true" turns native sidecars on; "auto" needs a cluster to ask, so is off here. */
export function nativeSidecarsFromEnv(env: Readonly<Record<string, string | undefined>>): boolean {
  return (env['ENABLE_NATIVE_SIDECARS'] ?? 'false').trim().toLowerCase() === 'true';
}

export function loadSettings(files: { injectConfig?: string; meshConfig?: string; values?: string }, revision: string, env: Readonly<Record<string, string | undefined>>): InjectionSettings {
  const read = (file: string, flag: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new KubeInjectError(`${flag}: cannot read ${JSON.stringify(file)}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    }
  };
  const wrap = <T>(flag: string, fn: () => T): T => {
    try {
      return fn();
    } catch (error) {
      if (error instanceof KubeInjectError) throw error;
      throw new KubeInjectError(`${flag}: ${(error as Error).message}`);
    }
  };
  const configText = files.injectConfig ? configMapKey(read(files.injectConfig, '--injectConfigFile'), 'config') : read(defaultInjectConfigPath, 'the default injection config');
  const config = wrap('--injectConfigFile', () => parseInjectorConfig(configText, env));
  const meshConfig = files.meshConfig ? wrap('--meshConfigFile', () => applyMeshConfig(configMapKey(read(files.meshConfig!, '--meshConfigFile'), 'mesh'))) : defaultMeshConfig();
  let values = files.values ? wrap('--valuesFile', () => applyValues(configMapKey(read(files.values!, '--valuesFile'), 'values'))) : defaultValues();
  // istioctl reads the revision's own ConfigMap, whose values name the revision.
  if (revision !== '' && !values['revision']) values = { ...values, revision };
  return { config, meshConfig, values, revision, nativeSidecars: nativeSidecarsFromEnv(env), env };
}

export interface InjectOutcome {
  object: unknown;
  warnings: string[];
}

/** Injects one object (a workload, a List of them, or anything else, returned as it is). */
export function injectObject(object: unknown, settings: InjectionSettings): InjectOutcome {
  const warnings: string[] = [];
  const visit = (obj: unknown): unknown => {
    if (!isObject(obj)) return obj;
    const kubeObject = obj as unknown as KubeObject;
    if (isList(kubeObject)) return withListItems(kubeObject, listItems(kubeObject).map((item) => visit(item) as KubeObject));
    const accessor = podTemplateAccessor(kubeObject);
    if (!accessor) return obj;
    const ref = objectRef(kubeObject);
    const workloadMeta = isObject(obj['metadata']) ? obj['metadata'] : {};
    const template = accessor.get();
    // For a CronJob the job template's metadata stands for the pod's, as in istioctl.
    const cronJobMeta = accessor.kind === 'CronJob' ? ((obj['spec'] as JsonObject | undefined)?.['jobTemplate'] as JsonObject | undefined)?.['metadata'] : undefined;
    const metadata = (isObject(cronJobMeta) ? structuredClone(cronJobMeta) : template.metadata) as JsonObject;
    const spec = template.spec as JsonObject;
    const isPod = accessor.kind === 'Pod';
    const deploymentName = String((isPod ? metadata['name'] : workloadMeta['name']) ?? '');
    const deploymentNamespace = String((isPod ? metadata['namespace'] : workloadMeta['namespace']) ?? '');
    const namespace = String(metadata['namespace'] ?? workloadMeta['namespace'] ?? '');
    const decision = injectRequired(
      {
        ...(namespace !== '' ? { namespace } : {}),
        labels: (isObject(metadata['labels']) ? metadata['labels'] : {}) as Record<string, string>,
        annotations: (isObject(metadata['annotations']) ? metadata['annotations'] : {}) as Record<string, string>,
        hostNetwork: spec['hostNetwork'] === true,
      },
      // kube-inject injects unless the pod says no, whatever the ConfigMap's policy.
      { policy: 'enabled', neverInjectSelector: [], alwaysInjectSelector: [] },
    );
    if (!decision.inject) {
      warnings.push(`Skipping injection because ${ref} ${decision.reason === 'host networking is enabled' ? 'has host networking enabled' : `has sidecar injection disabled (${decision.reason})`}`);
      return obj;
    }
    let injected;
    try {
      injected = injectPod({
        kind: String(obj['kind']),
        apiVersion: String(obj['apiVersion'] ?? ''),
        deploymentName,
        deploymentNamespace,
        metadata,
        spec,
        config: settings.config,
        meshConfig: settings.meshConfig,
        values: settings.values,
        revision: settings.revision,
        nativeSidecars: settings.nativeSidecars,
        env: settings.env,
      });
    } catch (error) {
      throw new KubeInjectError(`${ref}: ${(error as Error).message}`);
    }
    if (accessor.kind === 'CronJob') {
      const copy = structuredClone(obj) as JsonObject;
      const jobTemplate = (copy['spec'] as JsonObject)['jobTemplate'] as JsonObject;
      jobTemplate['metadata'] = injected.metadata;
      const jobSpec = (jobTemplate['spec'] ??= {}) as JsonObject;
      jobSpec['template'] = { ...(isObject(jobSpec['template']) ? jobSpec['template'] : {}), spec: injected.spec };
      return copy;
    }
    return accessor.set({ metadata: injected.metadata, spec: injected.spec });
  };
  return { object: visit(object), warnings };
}

/** The whole stream: every document injected (or passed through), each followed by `---`. */
export function kubeInject(stream: string, settings: InjectionSettings): { output: string; warnings: string[] } {
  const warnings: string[] = [];
  const out: string[] = [];
  for (const doc of parseYamlDocuments(stream)) {
    let outcome: InjectOutcome;
    try {
      outcome = injectObject(doc.value, settings);
    } catch (error) {
      if (error instanceof KubeInjectError || error instanceof AnnotationError) throw new KubeInjectError(`${documentLabel(doc)}: ${error.message}`);
      throw error;
    }
    warnings.push(...outcome.warnings);
    out.push(`${stringifyYaml(outcome.object)}---\n`);
  }
  return { output: out.join(''), warnings };
}
