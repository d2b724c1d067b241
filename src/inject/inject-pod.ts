// Injection of one pod (metadata + spec), pure: validate, strip an earlier injection,
// render the selected templates and overlay them with a strategic merge patch onto
// both an empty pod and the user's pod, keep the user's overrides of injected
// containers, then post-process as Istio does.
import { parse as parseYaml } from 'yaml';
import { canonicalPodTemplate, podSchema, strategicMerge } from '../kube/index.js';
import { TemplateError } from '../gotemplate/index.js';
import { validateAnnotations } from './annotations.js';
import { Annotation, DefaultProxyGID, DefaultProxyUID, Env, InitContainerName, ProxyContainerName } from './constants.js';
import type { InjectorConfig } from './injector-config.js';
import { selectTemplates } from './injector-config.js';
import { applyProxyConfig, isObject } from './mesh.js';
import type { JsonObject } from './mesh.js';
import { applyPrometheusMerge } from './prometheus.js';
import { rewriteAppProbes, setContainerEnv } from './probes.js';
import { reorderContainers } from './reorder.js';
import { injectionStatus, stripInjected } from './status.js';
import { templateData } from './template-data.js';
import { valueAt } from './values.js';

export class InjectionError extends Error {}

export interface InjectionParameters {
  kind: string;
  apiVersion: string;
  deploymentName: string;
  deploymentNamespace: string;
  metadata: JsonObject;
  spec: JsonObject;
  config: InjectorConfig;
  meshConfig: JsonObject;
  values: JsonObject;
  revision: string;
  nativeSidecars: boolean;
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Environment variables set on istio-proxy after the templates ran, replacing any of the
   * same name: the webhook's /inject/cluster/<c>/net/<n> path parameters (ISTIO_META_CLUSTER_ID,
   * ISTIO_META_NETWORK), so one injector can serve several clusters and networks.
   */
  proxyEnvs?: Readonly<Record<string, string>>;
}

export interface InjectedPod {
  metadata: JsonObject;
  spec: JsonObject;
}

type Pod = { metadata: JsonObject; spec: JsonObject };

const annotationsOf = (meta: JsonObject): Record<string, string> => (isObject(meta['annotations']) ? (meta['annotations'] as Record<string, string>) : {});
const containersOf = (spec: JsonObject, field: 'containers' | 'initContainers'): JsonObject[] => (Array.isArray(spec[field]) ? (spec[field] as JsonObject[]) : []);

function hasSidecar(spec: JsonObject): boolean {
  return [...containersOf(spec, 'containers'), ...containersOf(spec, 'initContainers')].some((c) => c['name'] === ProxyContainerName);
}

/** Containers recorded in proxy.istio.io/overrides by an earlier injection. */
interface Overrides {
  containers?: JsonObject[];
  initContainers?: JsonObject[];
}

function parseOverrides(meta: JsonObject): Overrides {
  const text = annotationsOf(meta)[Annotation.ProxyOverrides];
  if (text === undefined) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    return isObject(parsed) ? (parsed as Overrides) : {};
  } catch {
    throw new InjectionError(`invalid value '${text}' for annotation '${Annotation.ProxyOverrides}': not JSON`);
  }
}

/** Re-adds overridden containers that stripping removed, so templates see the pod the user wrote. */
function reinsertOverrides(pod: Pod, overrides: Overrides): Pod {
  const spec = { ...pod.spec };
  for (const field of ['containers', 'initContainers'] as const) {
    const list = containersOf(spec, field);
    const missing = (overrides[field] ?? []).filter((o) => !list.some((c) => c['name'] === o['name']));
    if (missing.length > 0) spec[field] = [...list, ...missing];
  }
  return { metadata: pod.metadata, spec };
}

function render(params: InjectionParameters, userPod: Pod, proxyConfig: JsonObject): { merged: Pod; template: Pod } {
  // Templates see the pod in Go's field order, as Istio's do (structToJSON output depends on it).
  const pod = canonicalPodTemplate(userPod) as Pod;
  const data = templateData({
    kind: params.kind,
    apiVersion: params.apiVersion,
    deploymentName: params.deploymentName,
    deploymentNamespace: params.deploymentNamespace,
    metadata: pod.metadata,
    spec: pod.spec,
    proxyConfig,
    meshConfig: params.meshConfig,
    values: params.values,
    revision: params.revision,
    nativeSidecars: params.nativeSidecars,
    proxyUID: DefaultProxyUID,
    proxyGID: DefaultProxyGID,
    compliancePolicy: params.env?.['COMPLIANCE_POLICY'] ?? '',
  });
  let merged: Pod = structuredClone(pod);
  let template: Pod = { metadata: {}, spec: {} };
  for (const name of selectTemplates(params.config, annotationsOf(pod.metadata))) {
    const tmpl = params.config.templates.get(name);
    if (!tmpl) {
      throw new InjectionError(`requested template "${name}" not found; have ${[...params.config.templates.keys()].map((n) => `"${n}"`).join(', ') || 'none'}`);
    }
    let text: string;
    try {
      text = tmpl.execute(data);
    } catch (error) {
      throw new InjectionError(`failed to run injection template "${name}": ${error instanceof TemplateError ? error.message : String(error)}`);
    }
    let overlay: unknown;
    try {
      overlay = parseYaml(text, { version: '1.1' });
    } catch (error) {
      throw new InjectionError(`injection template "${name}" did not render valid YAML: ${(error as Error).message.split('\n')[0]}`);
    }
    if (overlay === null || overlay === undefined) continue;
    if (!isObject(overlay)) throw new InjectionError(`injection template "${name}" must render a pod (a map), got ${Array.isArray(overlay) ? 'a list' : typeof overlay}`);
    template = strategicMerge(template, overlay, podSchema) as Pod;
    merged = strategicMerge(merged, overlay, podSchema) as Pod;
  }
  return { merged: { metadata: merged.metadata ?? {}, spec: merged.spec ?? {} }, template: { metadata: template.metadata ?? {}, spec: template.spec ?? {} } };
}

/**
 * A user's own container of an injected name (e.g. istio-proxy with custom
 * resources) wins over the template, field by field; `image: auto` leaves the
 * injected image. What was overridden is recorded for later re-injections.
 */
function reapplyOverrides(merged: Pod, original: Pod, template: Pod, overrides: Overrides, alreadyInjected: boolean): Pod {
  let result = merged;
  const recorded: Overrides = {};
  for (const field of ['containers', 'initContainers'] as const) {
    for (const injected of containersOf(template.spec, field)) {
      const name = injected['name'];
      const match = (overrides[field] ?? []).find((c) => c['name'] === name) ?? containersOf(original.spec, field).find((c) => c['name'] === name);
      if (!match) continue;
      const overlay: JsonObject = structuredClone(match);
      if (overlay['image'] === 'auto') delete overlay['image'];
      (recorded[field] ??= []).push(overlay);
      result = strategicMerge(result, { spec: { [field]: [overlay] } }, podSchema) as Pod;
    }
  }
  if ((recorded.containers || recorded.initContainers) && !alreadyInjected) {
    result = { ...result, metadata: { ...result.metadata, annotations: { ...annotationsOf(result.metadata), [Annotation.ProxyOverrides]: JSON.stringify(recorded) } } };
  }
  return result;
}

function flagValue(args: JsonObject[] | unknown, flag: string): number | undefined {
  if (!Array.isArray(args)) return undefined;
  const at = args.indexOf(flag);
  return at >= 0 && at + 1 < args.length ? Number(args[at + 1]) : undefined;
}

/** When the user runs the proxy as another uid or gid, istio-init must exempt that one. */
function alignInitOwner(spec: JsonObject): JsonObject {
  const proxy = [...containersOf(spec, 'containers'), ...containersOf(spec, 'initContainers')].find((c) => c['name'] === ProxyContainerName);
  const security = isObject(proxy?.['securityContext']) ? proxy['securityContext'] : {};
  const uid = security['runAsUser'];
  const gid = security['runAsGroup'];
  const fix = (container: JsonObject): JsonObject => {
    if (container['name'] !== InitContainerName || !Array.isArray(container['args'])) return container;
    const args = [...container['args']];
    for (const [flag, id] of [['-u', uid], ['-g', gid]] as const) {
      if (typeof id !== 'number') continue;
      const at = args.indexOf(flag);
      if (at >= 0 && at + 1 < args.length && flagValue(args, flag) !== id) args[at + 1] = String(id);
    }
    return { ...container, args };
  };
  return { ...spec, initContainers: containersOf(spec, 'initContainers').map(fix), containers: containersOf(spec, 'containers') };
}

/**
 * Istio's overwriteClusterInfo: the path's variables replace the template's (kept in order),
 * and are appended sorted by name, so that the result does not depend on the URL's order.
 */
function overwriteClusterInfo(pod: Pod, proxyEnvs: Readonly<Record<string, string>> | undefined): Pod {
  const names = Object.keys(proxyEnvs ?? {}).sort();
  if (names.length === 0) return pod;
  const update = (container: JsonObject): JsonObject => {
    if (container['name'] !== ProxyContainerName) return container;
    const env = (Array.isArray(container['env']) ? (container['env'] as JsonObject[]) : []).filter((e) => !names.includes(String(e['name'])));
    return { ...container, env: [...env, ...names.map((name) => ({ name, value: proxyEnvs![name]! }))] };
  };
  // The sidecar is a container, or an init container when injected as a native sidecar.
  const spec: JsonObject = { ...pod.spec, containers: containersOf(pod.spec, 'containers').map(update) };
  if (Array.isArray(pod.spec['initContainers'])) spec['initContainers'] = containersOf(pod.spec, 'initContainers').map(update);
  return { metadata: pod.metadata, spec };
}

export function injectPod(params: InjectionParameters): InjectedPod {
  const annotations = annotationsOf(params.metadata);
  validateAnnotations(annotations);
  const proxyConfigAnnotation = annotations[Annotation.ProxyConfig];
  const proxyConfig = proxyConfigAnnotation !== undefined
    ? applyProxyConfig(proxyConfigAnnotation, params.meshConfig)
    : (params.meshConfig['defaultConfig'] as JsonObject);

  const alreadyInjected = annotations[Annotation.SidecarStatus] !== undefined;
  const overrides = parseOverrides(params.metadata);
  const stripped = stripInjected(params.metadata, params.spec);
  const original = reinsertOverrides({ metadata: stripped.meta, spec: stripped.spec }, overrides);

  const { merged, template } = render(params, original, proxyConfig);
  let pod = reapplyOverrides(overwriteClusterInfo(merged, params.proxyEnvs), original, template, overrides, alreadyInjected);

  // Post-processing, in Istio's order: Prometheus merge, probe rewriting, metadata, order.
  const statusPort = Number(proxyConfig['statusPort'] ?? 15020);
  let podAnnotations = annotationsOf(pod.metadata);
  let spec = pod.spec;
  const prometheus = applyPrometheusMerge(podAnnotations, containersOf(spec, 'containers'), statusPort, params.meshConfig['enablePrometheusMerge'] !== false);
  podAnnotations = prometheus.annotations;
  spec = { ...spec, containers: prometheus.containers };

  if (hasSidecar(spec)) {
    const rewriteText = podAnnotations[Annotation.RewriteAppHTTPProbers];
    const rewrite = rewriteText !== undefined ? rewriteText.trim().toLowerCase() === 'true' : valueAt(params.values, 'sidecarInjectorWebhook.rewriteAppHTTPProbe') !== false;
    const probePort = podAnnotations[Annotation.StatusPort] !== undefined ? Number(podAnnotations[Annotation.StatusPort]) : statusPort;
    if (rewrite && probePort > 0) {
      const { containers, probers } = rewriteAppProbes(containersOf(spec, 'containers'), probePort);
      spec = { ...spec, containers };
      if (Object.keys(probers).length > 0) {
        const value = JSON.stringify(probers);
        spec = {
          ...spec,
          containers: setContainerEnv(containersOf(spec, 'containers'), ProxyContainerName, Env.KubeAppProbers, value),
          ...(containersOf(spec, 'initContainers').length > 0
            ? { initContainers: setContainerEnv(containersOf(spec, 'initContainers'), ProxyContainerName, Env.KubeAppProbers, value) }
            : {}),
        };
      }
    }
  }

  podAnnotations = { ...podAnnotations, [Annotation.SidecarStatus]: injectionStatus(template.spec, params.revision), ...params.config.injectedAnnotations };
  const hold = proxyConfig['holdApplicationUntilProxyStarts'] === true || valueAt(params.values, 'global.proxy.holdApplicationUntilProxyStarts') === true;
  spec = reorderContainers(alignInitOwner(spec), hold);
  if (containersOf(spec, 'initContainers').length === 0) delete spec['initContainers'];
  // Go's field order, so that the result does not depend on the order fields were merged in.
  return canonicalPodTemplate({ metadata: { ...pod.metadata, annotations: podAnnotations }, spec });
}
