// Decoding single xDS resources (Listener, Cluster, ClusterLoadAssignment,
// RouteConfiguration) under the proxy's field policy, from proto3 JSON or from
// the binary protobuf an xDS stream carries. Binary goes to proto3 JSON first,
// so both paths share one strict decoder and produce the same canonical form.
import protobuf from 'protobufjs';
import { ConfigError } from './errors.js';
import { formatDuration } from './duration.js';
import { decodeMessage } from './proto-json.js';
import type { FieldPolicy, Json, JsonObject } from './proto-json.js';
import { lookupMessage, TYPE_URL_PREFIX, typeUrls } from './protos.js';
import { proxyFieldPolicy } from './support.js';
import type { Cluster, ClusterLoadAssignment, Listener } from './types.js';

function typeName(typeUrl: string): string {
  return typeUrl.startsWith(TYPE_URL_PREFIX) ? typeUrl.slice(TYPE_URL_PREFIX.length) : typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}

/** Decodes a resource given as proto3 JSON (with or without its own "@type"). */
export function decodeResourceJson(typeUrl: string, value: unknown, policy: FieldPolicy = proxyFieldPolicy): JsonObject {
  const name = typeName(typeUrl);
  let body = value;
  if (typeof value === 'object' && value !== null && '@type' in value) {
    const { '@type': given, ...rest } = value as Record<string, unknown>;
    if (typeof given !== 'string' || typeName(given) !== name) throw new ConfigError(`resource "@type" ${String(given)} is not ${typeUrl}`);
    body = rest;
  }
  const label = typeof (body as { name?: unknown })?.name === 'string' ? `${name.split('.').pop()}("${(body as { name: string }).name}")` : name.split('.').pop()!;
  return decodeMessage(name, body, label, { policy });
}

/** Decodes a resource from protobuf bytes (an xDS DiscoveryResponse's Any.value). */
export function decodeResourceBytes(typeUrl: string, bytes: Uint8Array, policy: FieldPolicy = proxyFieldPolicy): JsonObject {
  const type = lookupMessage(typeName(typeUrl));
  if (!type) throw new ConfigError(`resource type ${typeUrl} is not supported by the outrigger proxy`);
  let message: protobuf.Message;
  try {
    message = type.decode(bytes);
  } catch (error) {
    throw new ConfigError(`malformed ${typeName(typeUrl)}: ${(error as Error).message}`);
  }
  return decodeResourceJson(typeUrl, messageToJson(type, message), policy);
}

export const decodeListener = (value: unknown): Listener => decodeResourceJson(typeUrls.listener, value) as unknown as Listener;
export const decodeCluster = (value: unknown): Cluster => decodeResourceJson(typeUrls.cluster, value) as unknown as Cluster;
export const decodeClusterLoadAssignment = (value: unknown): ClusterLoadAssignment =>
  decodeResourceJson(typeUrls.clusterLoadAssignment, value) as unknown as ClusterLoadAssignment;

type Long = { toNumber(): number };

function scalarToJson(type: string, value: unknown): Json {
  if (typeof value === 'object' && value !== null && 'toNumber' in value) return (value as Long).toNumber();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (type === 'double' || type === 'float') return Number.isFinite(value as number) ? (value as number) : String(value);
  return value as Json;
}

function valueToJson(v: Record<string, unknown>): Json {
  if (v['nullValue'] !== undefined || v['null_value'] !== undefined) return null;
  for (const key of ['numberValue', 'number_value', 'stringValue', 'string_value', 'boolValue', 'bool_value']) if (key in v) return v[key] as Json;
  const struct = (v['structValue'] ?? v['struct_value']) as Record<string, unknown> | undefined;
  if (struct) return structToJson(struct);
  const list = (v['listValue'] ?? v['list_value']) as { values?: Record<string, unknown>[] } | undefined;
  if (list) return (list.values ?? []).map(valueToJson);
  return null;
}

function structToJson(s: Record<string, unknown>): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries((s['fields'] ?? {}) as Record<string, Record<string, unknown>>)) out[k] = valueToJson(v);
  return out;
}

/** A decoded protobufjs message as proto3 JSON (snake_case), with Any unpacked by its type URL. */
export function messageToJson(type: protobuf.Type, message: protobuf.Message | Record<string, unknown>): Json {
  const m = message as unknown as Record<string, unknown>;
  const name = type.fullName.replace(/^\./, '');
  switch (name) {
    case 'google.protobuf.Any': {
      const url = String(m['type_url'] ?? '');
      const inner = lookupMessage(typeName(url));
      if (!inner) throw new ConfigError(`Any of type ${url} is not supported by the outrigger proxy`);
      const decoded = messageToJson(inner, inner.decode(m['value'] as Uint8Array));
      return inner.fullName.startsWith('.google.protobuf.') ? { '@type': url, value: decoded } : { '@type': url, ...(decoded as JsonObject) };
    }
    case 'google.protobuf.Duration': {
      const seconds = m['seconds'];
      return formatDuration({ seconds: typeof seconds === 'object' && seconds !== null ? (seconds as Long).toNumber() : Number(seconds ?? 0), nanos: Number(m['nanos'] ?? 0) });
    }
    case 'google.protobuf.Timestamp': {
      const seconds = m['seconds'];
      const s = typeof seconds === 'object' && seconds !== null ? (seconds as Long).toNumber() : Number(seconds ?? 0);
      return new Date(s * 1000 + Number(m['nanos'] ?? 0) / 1e6).toISOString();
    }
    case 'google.protobuf.Struct':
      return structToJson(m);
    case 'google.protobuf.Value':
      return valueToJson(m);
    case 'google.protobuf.ListValue':
      return ((m['values'] ?? []) as Record<string, unknown>[]).map(valueToJson);
  }
  if (name.startsWith('google.protobuf.') && name.endsWith('Value')) {
    return scalarToJson(name.slice('google.protobuf.'.length, -'Value'.length).toLowerCase(), m['value'] ?? defaultOf(name));
  }
  const out: JsonObject = {};
  for (const field of type.fieldsArray) {
    const v = m[field.name];
    if (v === undefined || v === null) continue;
    // protobufjs reports which member of a oneof is set under the oneof's name.
    if (field.partOf && m[field.partOf.name] !== field.name) continue;
    // proto3 scalars decode to their defaults; only fields actually present (or in a oneof) are emitted.
    if (!field.partOf && !field.repeated && !(field instanceof protobuf.MapField) && !field.resolvedType && isScalarDefault(v)) continue;
    const one = (item: unknown): Json => {
      if (field.resolvedType instanceof protobuf.Type) return messageToJson(field.resolvedType, item as Record<string, unknown>);
      if (field.resolvedType instanceof protobuf.Enum) return field.resolvedType.valuesById[item as number] ?? (item as number);
      return scalarToJson(field.type, item);
    };
    if (field instanceof protobuf.MapField) {
      const map: JsonObject = {};
      for (const [k, item] of Object.entries(v as Record<string, unknown>)) map[k] = one(item);
      if (Object.keys(map).length > 0) out[field.name] = map;
    } else if (field.repeated) {
      const list = (v as unknown[]).map(one);
      if (list.length > 0) out[field.name] = list;
    } else {
      if (field.resolvedType instanceof protobuf.Enum && v === 0 && !field.partOf) continue;
      out[field.name] = one(v);
    }
  }
  return out;
}

function defaultOf(wrapper: string): Json {
  if (wrapper.endsWith('BoolValue')) return false;
  if (wrapper.endsWith('StringValue') || wrapper.endsWith('BytesValue')) return '';
  return 0;
}

function isScalarDefault(v: unknown): boolean {
  if (v === false || v === 0 || v === '') return true;
  if (v instanceof Uint8Array) return v.length === 0;
  if (typeof v === 'object' && v !== null && 'toNumber' in v) return (v as Long).toNumber() === 0;
  return false;
}
