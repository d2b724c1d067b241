// RFC 6902 JSON Patch, as an admission webhook returns it.
//
// The API server applies the patch with a strict implementation: an `add` below a parent
// that does not exist fails, so a patch that sets `metadata.annotations["sidecar.istio.io/status"]`
// on a pod without annotations must add the whole `annotations` object. Computing the patch
// as a structural diff of the object before and after gives exactly that, and gives the
// smallest patch a human can read in `kubectl get … -o yaml` diffs and webhook logs.
import { applyPatch, createPatch } from 'rfc6902';
import type { Operation } from 'rfc6902';

export type JsonPatchOperation =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string };

export class JsonPatchError extends Error {
  constructor(
    /** 0-based position of the failing operation in the patch. */
    readonly operationIndex: number,
    readonly operation: JsonPatchOperation,
    reason: string,
  ) {
    super(`JSON patch operation ${operationIndex} (${operation.op} ${operation.path}): ${reason}`);
    this.name = 'JsonPatchError';
  }
}

/** Escapes one reference token of a JSON pointer: `~` → `~0`, `/` → `~1` (RFC 6901). */
export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Builds a JSON pointer from unescaped tokens: ['metadata', 'annotations', 'a/b'] → /metadata/annotations/a~1b. */
export function jsonPointer(tokens: readonly (string | number)[]): string {
  return tokens.map((token) => `/${escapePointerToken(String(token))}`).join('');
}

// What goes over the wire is JSON: an `undefined` property must not become an `add` whose
// value then vanishes on serialization.
function asJson(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

/** The operations that turn `original` into `modified`; neither input is modified. */
export function createJsonPatch(original: unknown, modified: unknown): JsonPatchOperation[] {
  return createPatch(asJson(original), asJson(modified)) as JsonPatchOperation[];
}

/**
 * Applies `patch` to a copy of `document` and returns the copy. Operations apply in order and
 * the first failure throws JsonPatchError: nothing is returned half-patched.
 */
export function applyJsonPatch<T>(document: T, patch: readonly JsonPatchOperation[]): T {
  const target = { root: asJson(document) };
  patch.forEach((operation, index) => {
    const rooted = { ...operation, path: `/root${operation.path}` } as Operation;
    if ('from' in operation) (rooted as { from: string }).from = `/root${operation.from}`;
    const [failure] = applyPatch(target, [rooted]);
    if (failure) throw new JsonPatchError(index, operation, reasonFor(failure, operation));
  });
  return target.root as T;
}

function reasonFor(failure: Error, operation: JsonPatchOperation): string {
  switch (failure.name) {
    case 'MissingError':
      return operation.op === 'add' ? 'the parent of the path does not exist' : 'nothing exists at the path';
    case 'TestError': {
      const { actual, expected } = failure as Error & { actual?: unknown; expected?: unknown };
      return `test failed: found ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`;
    }
    default:
      return failure.message.replace(/\/root/g, '');
  }
}
