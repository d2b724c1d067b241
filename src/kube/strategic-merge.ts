// Kubernetes strategic merge patch, the way the API server applies one to a typed object.
//
// A JSON merge patch replaces every list; a strategic one knows, per field, whether a list is
// a set of objects keyed by a field (containers by name, ports by containerPort) or an atomic
// value. That knowledge lives in Kubernetes' Go struct tags; here it is a table of paths
// (see pod-schema.ts), so behaviour is data rather than branches.
//
// List order follows Kubernetes' rules (list-order.ts): items new to the list land before
// the original-only ones, in patch order; items present on both sides keep their original
// relative position. With a template pod as the patch,
// a new `istio-proxy` ends up before the user's containers; with the user's pod as the patch
// over a template, the user's containers come first.
//
// Directives: `$patch: replace|delete` on a map or a list item, `$retainKeys`,
// `$deleteFromPrimitiveList/<field>`, `$setElementOrder/<field>`.
// Deliberate differences from the API server, all on input it would reject or mishandle:
//   - a field the table does not know merges by shape (maps merge, lists are replaced)
//     instead of failing with "unable to find api field";
//   - `$patch: merge` on a map is accepted as the default it names (the API server errors);
//   - values new to the original are cleaned (nulls dropped, directives applied) rather than
//     copied with their `null`s and `$patch` keys.
// Inputs are never mutated: both are cloned first, then merged in place.
import { indexIn, orderMerged, sameItem, sameValue } from './list-order.js';
import type { JsonList } from './list-order.js';

/** How one field is patched. Fields absent from a schema: maps merge, lists are replaced. */
export interface FieldPatchMeta {
  /** `merge`: merge maps recursively / lists item by item; `replace`: take the patch value whole. */
  strategy: 'merge' | 'replace';
  /** For lists of objects merged item by item: the field that identifies an item. */
  mergeKey?: string;
}

/**
 * Patch metadata by path. A path is field names joined by `.`, and `[]` for "each item of
 * the list": `spec.containers`, `spec.containers[].env`. The root object's path is ''.
 */
export type PatchSchema = Readonly<Record<string, FieldPatchMeta>>;

export class StrategicMergeError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`strategic merge at ${path === '' ? 'the root' : path}: ${reason}`);
    this.name = 'StrategicMergeError';
  }
}

type JsonMap = Record<string, unknown>;

const PATCH_DIRECTIVE = '$patch';
const RETAIN_KEYS_DIRECTIVE = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST_PREFIX = '$deleteFromPrimitiveList/';
const SET_ELEMENT_ORDER_PREFIX = '$setElementOrder/';

function isMap(value: unknown): value is JsonMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function childPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function itemPath(path: string): string {
  return `${path}[]`;
}

function describe(value: unknown): string {
  return JSON.stringify(value);
}

/**
 * Applies a strategic merge patch to `original` using `schema`. Neither input is modified.
 * Throws StrategicMergeError for malformed patches (unknown directive, list item without its
 * merge key, `$setElementOrder` contradicting the patch).
 */
export function strategicMerge<T>(original: T, patch: unknown, schema: PatchSchema): T {
  if (!isMap(patch)) throw new StrategicMergeError('', `patch must be an object, got ${describe(patch)}`);
  if (original !== undefined && original !== null && !isMap(original)) {
    throw new StrategicMergeError('', `original must be an object, got ${describe(original)}`);
  }
  const target = original === undefined || original === null ? {} : structuredClone(original as JsonMap);
  return mergeMap(target, structuredClone(patch), '', schema) as T;
}

function mergeMap(original: JsonMap | undefined, patch: JsonMap, path: string, schema: PatchSchema): JsonMap {
  if (PATCH_DIRECTIVE in patch) {
    const directive = patch[PATCH_DIRECTIVE];
    const { [PATCH_DIRECTIVE]: _directive, ...rest } = patch;
    switch (directive) {
      case 'replace':
        return mergeMap(undefined, rest, path, schema);
      case 'delete':
        return {};
      case 'merge':
        return mergeMap(original, rest, path, schema);
      default:
        throw new StrategicMergeError(path, `unknown ${PATCH_DIRECTIVE} directive ${describe(directive)}`);
    }
  }
  const result = original ?? {};
  applyRetainKeys(result, patch, path);
  const ordered = applySetElementOrder(result, patch, path, schema);
  for (const [key, patchValue] of Object.entries(patch)) {
    // `undefined` is how JavaScript spells "not given"; it never reaches JSON.
    if (patchValue === undefined || key === RETAIN_KEYS_DIRECTIVE || key.startsWith(SET_ELEMENT_ORDER_PREFIX) || ordered.has(key)) continue;
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX)) {
      deleteFromPrimitiveList(result, key.slice(DELETE_FROM_PRIMITIVE_LIST_PREFIX.length), patchValue, path);
      continue;
    }
    if (patchValue === null) {
      delete result[key];
      continue;
    }
    result[key] = mergeValue(result[key], patchValue, childPath(path, key), schema);
  }
  return result;
}

function mergeValue(current: unknown, patchValue: unknown, path: string, schema: PatchSchema): unknown {
  const meta = schema[path];
  if (isMap(patchValue)) {
    if (meta?.strategy === 'replace') return mergeMap(undefined, patchValue, path, schema);
    return mergeMap(isMap(current) ? current : undefined, patchValue, path, schema);
  }
  if (Array.isArray(patchValue)) {
    if (meta?.strategy !== 'merge') return patchValue;
    return mergeList(Array.isArray(current) ? current : [], patchValue, path, meta.mergeKey, schema);
  }
  return patchValue;
}

// `$retainKeys: [a, b]` clears every other field of the original: how a volume switches from
// `emptyDir` to `configMap` without keeping both sources.
function applyRetainKeys(original: JsonMap, patch: JsonMap, path: string): void {
  if (!(RETAIN_KEYS_DIRECTIVE in patch)) return;
  const retain = patch[RETAIN_KEYS_DIRECTIVE];
  if (!Array.isArray(retain)) {
    throw new StrategicMergeError(path, `${RETAIN_KEYS_DIRECTIVE} must be a list, got ${describe(retain)}`);
  }
  const keep = new Set(retain.map(String));
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$') || value === null) continue;
    if (!keep.has(key)) {
      throw new StrategicMergeError(path, `field ${describe(key)} is in the patch but not in ${RETAIN_KEYS_DIRECTIVE}`);
    }
  }
  for (const key of Object.keys(original)) if (!keep.has(key)) delete original[key];
}

function deleteFromPrimitiveList(original: JsonMap, field: string, values: unknown, path: string): void {
  if (!Array.isArray(values)) {
    throw new StrategicMergeError(childPath(path, field), `${DELETE_FROM_PRIMITIVE_LIST_PREFIX}${field} must be a list`);
  }
  const current = original[field];
  if (!Array.isArray(current)) return;
  original[field] = current.filter((item) => !values.some((v) => sameValue(v, item)));
}

// `$setElementOrder/<field>` carries the full desired order of a list, so a patch can move
// items it does not otherwise change. Returns the fields it has merged.
function applySetElementOrder(original: JsonMap, patch: JsonMap, path: string, schema: PatchSchema): Set<string> {
  const handled = new Set<string>();
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER_PREFIX)) continue;
    const field = key.slice(SET_ELEMENT_ORDER_PREFIX.length);
    const fieldPath = childPath(path, field);
    if (!Array.isArray(order)) throw new StrategicMergeError(fieldPath, `${key} must be a list`);
    const current = original[field];
    const patchList = patch[field];
    if (current !== undefined && !Array.isArray(current)) {
      throw new StrategicMergeError(fieldPath, `${key} given for a field that is not a list`);
    }
    if (patchList !== undefined && patchList !== null && !Array.isArray(patchList)) {
      throw new StrategicMergeError(fieldPath, `${key} given with a patch value that is not a list`);
    }
    // `field: null` deletes the list; the main loop does that and the order is moot.
    if (patchList === null) continue;
    handled.add(field);
    const meta = schema[fieldPath];
    const mergeKey = meta?.mergeKey;
    if (Array.isArray(patchList)) checkAgreesWithOrder(patchList, order, mergeKey, fieldPath);
    let merged: JsonList;
    if (current === undefined && !Array.isArray(patchList)) continue;
    if (!Array.isArray(patchList)) merged = current as JsonList;
    else if (meta?.strategy === 'merge') merged = mergeList((current as JsonList | undefined) ?? [], patchList, fieldPath, mergeKey, schema);
    else merged = patchList;
    original[field] = orderMerged(merged, order, (current as JsonList | undefined) ?? [], mergeKey);
  }
  return handled;
}

// The patch's own items must appear in `$setElementOrder` in the same relative order.
function checkAgreesWithOrder(patchList: JsonList, order: JsonList, mergeKey: string | undefined, path: string): void {
  let at = 0;
  for (const item of patchList) {
    if (isMap(item) && item[PATCH_DIRECTIVE] === 'delete') continue;
    while (at < order.length && !sameItem(order[at], item, mergeKey)) at++;
    if (at >= order.length) {
      throw new StrategicMergeError(path, `the order of the patch list ${describe(patchList)} does not match ${SET_ELEMENT_ORDER_PREFIX} ${describe(order)}`);
    }
  }
}

function mergeList(original: JsonList, patch: JsonList, path: string, mergeKey: string | undefined, schema: PatchSchema): JsonList {
  if (original.length === 0 && patch.length === 0) return original;
  const objects = [...original, ...patch].some(isMap);
  if (!objects) {
    // A merged list of scalars is a set union in first-seen order (finalizers).
    const merged: JsonList = [];
    for (const item of [...original, ...patch]) if (!merged.some((m) => sameValue(m, item))) merged.push(item);
    return orderMerged(merged, patch, original, undefined);
  }
  if (mergeKey === undefined) throw new StrategicMergeError(path, 'cannot merge a list of objects without a merge key');
  const [base, items] = applyListDirectives(original, patch, path, mergeKey);
  const merged = [...base];
  for (const item of items) {
    if (!isMap(item)) throw new StrategicMergeError(path, `list item ${describe(item)} is not an object`);
    if (!(mergeKey in item)) throw new StrategicMergeError(path, `list item ${describe(item)} has no merge key ${describe(mergeKey)}`);
    const at = indexIn(merged, item, mergeKey);
    if (at >= 0) merged[at] = mergeMap(merged[at] as JsonMap, item, itemPath(path), schema);
    else merged.push(mergeMap(undefined, item, itemPath(path), schema));
  }
  for (const item of base) {
    if (!isMap(item) || !(mergeKey in item)) {
      throw new StrategicMergeError(path, `list item ${describe(item)} has no merge key ${describe(mergeKey)}`);
    }
  }
  return orderMerged(merged, items, base, mergeKey);
}

// List items carrying `$patch` act on the list: `delete` removes the original item with the
// same key, `replace` makes the patch's other items the whole list.
function applyListDirectives(original: JsonList, patch: JsonList, path: string, mergeKey: string): [JsonList, JsonList] {
  let base = original;
  const items: JsonList = [];
  let replace = false;
  for (const item of patch) {
    if (!isMap(item) || !(PATCH_DIRECTIVE in item)) {
      items.push(item);
      continue;
    }
    const directive = item[PATCH_DIRECTIVE];
    if (directive === 'delete') {
      if (!(mergeKey in item)) {
        throw new StrategicMergeError(path, `${PATCH_DIRECTIVE}: delete item ${describe(item)} has no merge key ${describe(mergeKey)}`);
      }
      base = base.filter((candidate) => !sameItem(candidate, item, mergeKey));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw new StrategicMergeError(path, `${PATCH_DIRECTIVE}: merge cannot be given for a list (merging is already the default)`);
    } else {
      throw new StrategicMergeError(path, `unknown ${PATCH_DIRECTIVE} directive ${describe(directive)}`);
    }
  }
  return replace ? [[], items] : [base, items];
}
