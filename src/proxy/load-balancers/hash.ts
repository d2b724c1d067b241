// A fast 32-bit string hash (FNV-1a) for ring positions and request keys.
// Envoy uses xxHash64; the exact values differ, the property that matters —
// the same key lands on the same host while the host set is unchanged — holds.

/**
 * `seed` gives independent hashes of one text (Maglev needs two per host); seed 0 is the
 * plain hash, so ring positions and request hashes do not change with it.
 */
export function hashString(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ Math.imul(seed, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Final avalanche so that similar keys ("host_1", "host_2") spread over the ring.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Combines hashes of several policies, as Envoy's route hash policies do. */
export function combineHash(previous: number | undefined, next: number): number {
  if (previous === undefined) return next;
  return hashString(`${previous}:${next}`);
}
