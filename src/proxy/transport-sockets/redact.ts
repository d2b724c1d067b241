// config_dump never shows private keys: as Envoy does, an inline private_key is
// printed as "[redacted]" (inline_bytes as its base64). File names stay.
import type { Json, JsonObject } from '../config/proto-json.js';

const REDACTED = '[redacted]';

export function redactPrivateKeys<T extends Json>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => redactPrivateKeys(v)) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'private_key' && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const source = v;
      out[key] = 'inline_string' in source ? { inline_string: REDACTED } : 'inline_bytes' in source ? { inline_bytes: Buffer.from(REDACTED).toString('base64') } : source;
    } else {
      out[key] = redactPrivateKeys(v);
    }
  }
  return out as T;
}
