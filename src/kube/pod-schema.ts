// Patch metadata for core/v1 Pod and PodTemplateSpec: the `patchStrategy` and `patchMergeKey`
// struct tags of Kubernetes' API types, for the fields sidecar injection touches. A list that
// Kubernetes declares without a strategy (args, command, envFrom, tolerations, readinessGates)
// is atomic: a patch replaces it whole. Those are listed too, so that the table says so
// rather than leaving the reader to infer it from an absence.
import type { FieldPatchMeta, PatchSchema } from './strategic-merge.js';

const atomic: FieldPatchMeta = { strategy: 'replace' };
const mergeBy = (mergeKey: string): FieldPatchMeta => ({ strategy: 'merge', mergeKey });
/** A list of scalars merged as a set (finalizers). */
const mergeSet: FieldPatchMeta = { strategy: 'merge' };

/** Prefixes every path of `schema` with `prefix`, to place a schema inside a larger object. */
export function prefixSchema(prefix: string, schema: PatchSchema): PatchSchema {
  return Object.fromEntries(Object.entries(schema).map(([path, meta]) => [`${prefix}.${path}`, meta]));
}

// Container, and EphemeralContainer which shares its fields.
const containerSchema: PatchSchema = {
  ports: mergeBy('containerPort'),
  env: mergeBy('name'),
  volumeMounts: mergeBy('mountPath'),
  volumeDevices: mergeBy('devicePath'),
  envFrom: atomic,
  args: atomic,
  command: atomic,
  resizePolicy: atomic,
};

const containerLists = ['containers', 'initContainers', 'ephemeralContainers'] as const;

/** core/v1 PodSpec. */
export const podSpecSchema: PatchSchema = {
  ...Object.fromEntries(containerLists.map((list) => [list, mergeBy('name')])),
  ...Object.assign({}, ...containerLists.map((list) => prefixSchema(`${list}[]`, containerSchema))),
  // Kubernetes adds retainKeys for volumes: that only affects patch generation (`$retainKeys`
  // is honoured whenever a patch carries it).
  volumes: mergeBy('name'),
  imagePullSecrets: mergeBy('name'),
  hostAliases: mergeBy('ip'),
  topologySpreadConstraints: mergeBy('topologyKey'),
  resourceClaims: mergeBy('name'),
  schedulingGates: mergeBy('name'),
  tolerations: atomic,
  readinessGates: atomic,
  'hostAliases[].hostnames': atomic,
  'securityContext.supplementalGroups': atomic,
  'securityContext.sysctls': atomic,
  'dnsConfig.nameservers': atomic,
  'dnsConfig.searches': atomic,
  'dnsConfig.options': atomic,
};

/** meta/v1 ObjectMeta. Labels and annotations are maps, merged key by key. */
export const objectMetaSchema: PatchSchema = {
  finalizers: mergeSet,
  ownerReferences: mergeBy('uid'),
  managedFields: atomic,
};

/** core/v1 PodTemplateSpec: the `template` of a Deployment, StatefulSet, Job, … */
export const podTemplateSchema: PatchSchema = {
  ...prefixSchema('metadata', objectMetaSchema),
  ...prefixSchema('spec', podSpecSchema),
};

/** core/v1 Pod. */
export const podSchema: PatchSchema = {
  ...podTemplateSchema,
  'status.conditions': mergeBy('type'),
};
