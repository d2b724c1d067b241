// Kubernetes plumbing for the injector: kubectl-style multi-document YAML, strategic merge
// patch over the Pod schema, JSON Patch for admission responses, resource quantities and
// workload helpers. Pure functions over plain data; no API client here.
export { parseYamlDocuments, stringifyYaml, joinYamlDocuments, stringifyYamlDocuments, documentLabel, YamlDocumentError } from './yaml-docs.js';
export type { YamlDocument, ParseYamlOptions } from './yaml-docs.js';
export { strategicMerge, StrategicMergeError } from './strategic-merge.js';
export type { FieldPatchMeta, PatchSchema } from './strategic-merge.js';
export { podSpecSchema, podTemplateSchema, podSchema, objectMetaSchema, prefixSchema } from './pod-schema.js';
export { createJsonPatch, applyJsonPatch, jsonPointer, escapePointerToken, JsonPatchError } from './json-patch.js';
export type { JsonPatchOperation } from './json-patch.js';
export { parseQuantity, formatQuantity, canonicalQuantity, compareQuantities, canonicalResourceList, QuantityError } from './quantity.js';
export { canonicalOrder, canonicalPodTemplate } from './canonical-order.js';
export type { Quantity, QuantityFormat } from './quantity.js';
export {
  podTemplateAccessor,
  workloadKinds,
  isList,
  listItems,
  withListItems,
  objectRef,
  nameOf,
  namespaceOf,
  labelsOf,
  annotationsOf,
  metadataProblems,
  withAnnotations,
  withLabels,
} from './objects.js';
export type { KubeObject, ObjectMeta, PodTemplate, PodTemplateAccessor } from './objects.js';
