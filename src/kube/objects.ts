// Small helpers over Kubernetes objects as plain data: where a workload keeps its pod
// template, how to name an object in a message, and metadata getters that tolerate absence.
// Nothing here mutates its input; setters return new objects.

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

/** The part of a pod the injector rewrites: a Pod's own metadata and spec, or a template's. */
export interface PodTemplate {
  metadata: ObjectMeta;
  spec: Record<string, unknown>;
}

export interface PodTemplateAccessor {
  kind: string;
  /** Where the template sits in the object: [] for a Pod, ['spec', 'template'] for a Deployment. */
  path: readonly string[];
  /** A copy of the template; absent metadata or spec read as {}. */
  get(): PodTemplate;
  /** A copy of the object with the template replaced, missing parents created. */
  set(template: PodTemplate): KubeObject;
}

// Where each kind keeps the pod it creates. Matched on kind alone, whatever the apiVersion
// (extensions/v1beta1 Deployment, batch/v1beta1 CronJob, OpenShift's DeploymentConfig).
const podTemplatePaths: Readonly<Record<string, readonly string[]>> = {
  Pod: [],
  Deployment: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  DeploymentConfig: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

/** Kinds whose pods can be injected. */
export const workloadKinds: readonly string[] = Object.keys(podTemplatePaths);

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mapOrEmpty(value: unknown): Record<string, unknown> {
  return isMap(value) ? value : {};
}

function getPath(obj: unknown, path: readonly string[]): unknown {
  let at: unknown = obj;
  for (const key of path) {
    if (!isMap(at)) return undefined;
    at = at[key];
  }
  return at;
}

function setPath(obj: Record<string, unknown>, path: readonly string[], value: unknown): Record<string, unknown> {
  const [head, ...rest] = path;
  if (head === undefined) return mapOrEmpty(value);
  return { ...obj, [head]: rest.length === 0 ? value : setPath(mapOrEmpty(obj[head]), rest, value) };
}

/** The pod template accessor for a workload, or undefined if `obj` is not one. */
export function podTemplateAccessor(obj: KubeObject): PodTemplateAccessor | undefined {
  const kind = typeof obj.kind === 'string' ? obj.kind : undefined;
  const path = kind === undefined ? undefined : podTemplatePaths[kind];
  if (kind === undefined || path === undefined) return undefined;
  return {
    kind,
    path,
    get() {
      const template = mapOrEmpty(getPath(obj, path));
      return structuredClone({ metadata: mapOrEmpty(template.metadata) as ObjectMeta, spec: mapOrEmpty(template.spec) });
    },
    set(template) {
      const copy = structuredClone(obj);
      const current = mapOrEmpty(getPath(copy, path));
      // For a Pod the "template" is the object itself: keep apiVersion, kind and status.
      const updated = { ...current, metadata: structuredClone(template.metadata), spec: structuredClone(template.spec) };
      return path.length === 0 ? (updated as KubeObject) : (setPath(copy, path, updated) as KubeObject);
    },
  };
}

/** A `List` (or `PodList`, `DeploymentList`, …) holding other objects in `items`. */
export function isList(obj: KubeObject): boolean {
  return typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items);
}

export function listItems(obj: KubeObject): KubeObject[] {
  return isList(obj) ? (obj.items as unknown[]).filter(isMap) : [];
}

export function withListItems(obj: KubeObject, items: readonly KubeObject[]): KubeObject {
  return { ...structuredClone(obj), items: structuredClone([...items]) };
}

export function nameOf(obj: KubeObject): string | undefined {
  const metadata = mapOrEmpty(obj.metadata);
  return typeof metadata.name === 'string' && metadata.name !== '' ? metadata.name : undefined;
}

export function namespaceOf(obj: KubeObject): string | undefined {
  const metadata = mapOrEmpty(obj.metadata);
  return typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : undefined;
}

/**
 * How messages name an object: `Deployment "default/productpage"`. A pod created by a
 * controller has only a generateName (`productpage-v1-7d4f8-`), which names it well enough.
 */
export function objectRef(obj: KubeObject): string {
  const kind = typeof obj.kind === 'string' && obj.kind !== '' ? obj.kind : 'object';
  const metadata = mapOrEmpty(obj.metadata);
  const name = nameOf(obj) ?? (typeof metadata.generateName === 'string' && metadata.generateName !== '' ? metadata.generateName : '<unnamed>');
  const namespace = namespaceOf(obj);
  return `${kind} "${namespace === undefined ? '' : `${namespace}/`}${name}"`;
}

// Label and annotation values must be strings; YAML's `inject: true` is a boolean that the
// API server refuses. Getters return only the string entries; metadataProblems says what
// the rest are, so that a caller can reject the object with a message that helps.
function stringEntries(value: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(mapOrEmpty(value)).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

export function labelsOf(obj: KubeObject | PodTemplate): Record<string, string> {
  return stringEntries(mapOrEmpty(obj.metadata).labels);
}

export function annotationsOf(obj: KubeObject | PodTemplate): Record<string, string> {
  return stringEntries(mapOrEmpty(obj.metadata).annotations);
}

/** Labels and annotations whose values are not strings, described for an error message. */
export function metadataProblems(obj: KubeObject | PodTemplate): string[] {
  const metadata = mapOrEmpty(obj.metadata);
  const problems: string[] = [];
  for (const field of ['labels', 'annotations'] as const) {
    const value = metadata[field];
    if (value === undefined || value === null) continue;
    if (!isMap(value)) {
      problems.push(`metadata.${field} must be a map of strings, got ${JSON.stringify(value)}`);
      continue;
    }
    for (const [key, entry] of Object.entries(value)) {
      if (typeof entry !== 'string') {
        problems.push(`metadata.${field}[${JSON.stringify(key)}] must be a string, got ${JSON.stringify(entry)} (quote it)`);
      }
    }
  }
  return problems;
}

function withMetadataMap<T extends KubeObject | PodTemplate>(obj: T, field: 'labels' | 'annotations', changes: Readonly<Record<string, string | null>>): T {
  const metadata = mapOrEmpty(obj.metadata);
  const merged: Record<string, unknown> = { ...mapOrEmpty(metadata[field]) };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return { ...structuredClone(obj), metadata: { ...structuredClone(metadata), [field]: merged } };
}

/** A copy of `obj` with annotations set (a null value removes one); metadata is created if missing. */
export function withAnnotations<T extends KubeObject | PodTemplate>(obj: T, changes: Readonly<Record<string, string | null>>): T {
  return withMetadataMap(obj, 'annotations', changes);
}

/** A copy of `obj` with labels set (a null value removes one); metadata is created if missing. */
export function withLabels<T extends KubeObject | PodTemplate>(obj: T, changes: Readonly<Record<string, string | null>>): T {
  return withMetadataMap(obj, 'labels', changes);
}
