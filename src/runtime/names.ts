// Pod names as a Kubernetes controller would make them: a Deployment's pods are
// `<deployment>-<pod-template-hash>-<suffix>`, a ReplicaSet's `<rs>-<suffix>`, a
// StatefulSet's `<name>-<ordinal>`. Kube draws the suffix at random; here it is
// derived from the owner and the replica's index so that a plan is reproducible
// (the same manifests give the same pod names, which makes tests and docs stable).

// Kubernetes' "safe" alphabet: no vowels (no words) and no look-alikes (0/o, 1/l).
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-1a, 32 bits: small, stable and good enough to tell templates apart. */
export function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** A number written in the safe alphabet, padded to `length` characters. */
export function safeEncode(value: number, length: number): string {
  let out = '';
  let rest = value >>> 0;
  for (let i = 0; i < length; i++) {
    out += SAFE_ALPHABET[rest % SAFE_ALPHABET.length];
    rest = Math.floor(rest / SAFE_ALPHABET.length);
    if (rest === 0) rest = fnv32a(out);
  }
  return out;
}

/** The pod-template-hash label: changes exactly when the pod template changes. */
export function podTemplateHash(template: unknown): string {
  return safeEncode(fnv32a(stableJson(template)), 10).slice(0, 10);
}

/** The random-looking five characters kube appends to generated names. */
export function nameSuffix(owner: string, index: number): string {
  return safeEncode(fnv32a(`${owner}#${index}`), 5);
}

/** JSON with sorted keys, so that key order in a manifest does not change a hash. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
