// The order of a merged list, as Kubernetes' strategic merge produces it (mergeSlice, then
// normalizeElementOrder and mergeSortedSlice in apimachinery):
//   1. the merged list is split into "patch items" (whose key appears in the patch, or in
//      `$setElementOrder`) and "server-only items" (only in the original);
//   2. patch items are sorted by their position in the patch, server-only items by their
//      position in the original;
//   3. the two are interleaved: a server-only item goes before the next patch item only when
//      both occur in the original and it came first there; otherwise the patch item goes first.
// Items are identified by their merge key, or by value in a list of scalars.

export type JsonList = unknown[];

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Merge keys and primitive list items are compared as data, as Go's reflect.DeepEqual does.
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

export function sameItem(a: unknown, b: unknown, mergeKey: string | undefined): boolean {
  if (mergeKey === undefined) return sameValue(a, b);
  return isMap(a) && isMap(b) && sameValue(a[mergeKey], b[mergeKey]);
}

export function indexIn(list: JsonList, item: unknown, mergeKey: string | undefined): number {
  return list.findIndex((candidate) => sameItem(candidate, item, mergeKey));
}

export function sortByOrder(items: JsonList, order: JsonList, mergeKey: string | undefined): JsonList {
  // Array.prototype.sort is stable, as Go's sort.SliceStable; unknown items (-1) sort first.
  return [...items].sort((a, b) => indexIn(order, a, mergeKey) - indexIn(order, b, mergeKey));
}

// Kubernetes' mergeSortedSlice: each step takes the server-only item only if both candidates
// are in the original and it came first there, otherwise the patch item.
export function interleave(patchItems: JsonList, serverOnly: JsonList, original: JsonList, mergeKey: string | undefined): JsonList {
  const result: JsonList = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < patchItems.length) {
    if (j >= patchItems.length) {
      result.push(serverOnly[i++]);
    } else if (i >= serverOnly.length) {
      result.push(patchItems[j++]);
    } else {
      const left = indexIn(original, serverOnly[i], mergeKey);
      const right = indexIn(original, patchItems[j], mergeKey);
      if (left >= 0 && right >= 0 && left < right) result.push(serverOnly[i++]);
      else result.push(patchItems[j++]);
    }
  }
  return result;
}

export function orderMerged(merged: JsonList, patch: JsonList, original: JsonList, mergeKey: string | undefined): JsonList {
  const inPatch = (item: unknown) => indexIn(patch, item, mergeKey) >= 0;
  const patchItems = sortByOrder(merged.filter(inPatch), patch, mergeKey);
  const serverOnly = sortByOrder(merged.filter((item) => !inPatch(item)), original, mergeKey);
  return interleave(patchItems, serverOnly, original, mergeKey);
}

