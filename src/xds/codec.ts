// Protobuf's JSON mapping over protobufjs reflection, both ways: the control plane
// generates resources as proto3 JSON (camelCase or snake_case names, Durations as
// "10s", wrappers as plain values, Struct as JSON, Any as {"@type": url, ...}) and
// sends them as Any-packed bytes; the proxy turns bytes back into that JSON.
import protobuf from 'protobufjs';
import { lookupType, TYPE_URL_PREFIX } from './protos.js';

type Json = unknown;
type JsonObject = Record<string, Json>;

export class CodecError extends Error {}

const WRAPPERS = new Set(['BoolValue', 'StringValue', 'BytesValue', 'Int32Value', 'UInt32Value', 'Int64Value', 'UInt64Value', 'FloatValue', 'DoubleValue'].map((n) => `google.protobuf.${n}`));

const fieldMaps = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();

function fieldByName(type: protobuf.Type, name: string): protobuf.Field | undefined {
  let map = fieldMaps.get(type);
  if (!map) {
    map = new Map();
    for (const field of type.fieldsArray) {
      map.set(field.name, field);
      map.set(field.name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()), field);
      const jsonName = (field.options as { json_name?: string } | undefined)?.json_name;
      if (jsonName) map.set(jsonName, field);
    }
    fieldMaps.set(type, map);
  }
  return map.get(name);
}

function fullName(type: protobuf.ReflectionObject): string {
  return type.fullName.replace(/^\./, '');
}

function parseDuration(text: string, path: string): { seconds: number; nanos: number } {
  const m = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(text);
  if (!m) throw new CodecError(`${path}: invalid duration ${JSON.stringify(text)}`);
  const sign = m[1] ? -1 : 1;
  return { seconds: sign * Number(m[2]), nanos: sign * Number((m[3] ?? '').padEnd(9, '0') || '0') };
}

function formatDuration(d: { seconds?: number | string; nanos?: number }): string {
  const seconds = Number(d.seconds ?? 0);
  const nanos = Number(d.nanos ?? 0);
  const negative = seconds < 0 || nanos < 0;
  const abs = Math.abs(nanos);
  let fraction = '';
  if (abs !== 0) {
    const digits = String(abs).padStart(9, '0');
    fraction = abs % 1_000_000 === 0 ? `.${digits.slice(0, 3)}` : abs % 1000 === 0 ? `.${digits.slice(0, 6)}` : `.${digits}`;
  }
  return `${negative ? '-' : ''}${Math.abs(seconds)}${fraction}s`;
}

// google.protobuf.Struct comes from protobufjs' built-in definitions, whose field names are camelCase.
function structValue(value: Json): JsonObject {
  if (value === null) return { nullValue: 'NULL_VALUE' };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(structValue) } };
  if (typeof value === 'object') return { structValue: { fields: Object.fromEntries(Object.entries(value as JsonObject).map(([k, v]) => [k, structValue(v)])) } };
  throw new CodecError(`cannot encode ${typeof value} in a Struct`);
}

function fromStructValue(value: JsonObject): Json {
  if ('nullValue' in value) return null;
  if ('numberValue' in value) return value['numberValue'];
  if ('stringValue' in value) return value['stringValue'];
  if ('boolValue' in value) return value['boolValue'];
  if ('listValue' in value) return (((value['listValue'] as JsonObject)['values'] as JsonObject[] | undefined) ?? []).map(fromStructValue);
  if ('structValue' in value) return fromStruct(value['structValue'] as JsonObject);
  return null;
}

function fromStruct(struct: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries((struct['fields'] as Record<string, JsonObject> | undefined) ?? {}).map(([k, v]) => [k, fromStructValue(v)]));
}

/** proto3 JSON → the plain object protobufjs' fromObject expects. */
function toProtoObject(type: protobuf.Type, json: Json, path: string): JsonObject {
  const name = fullName(type);
  if (name === 'google.protobuf.Any') {
    const obj = json as JsonObject;
    const url = obj['@type'];
    if (typeof url !== 'string') throw new CodecError(`${path}: Any without @type`);
    const inner = lookupType(url);
    if (!inner) throw new CodecError(`${path}: unknown type ${url}`);
    const { '@type': _t, ...rest } = obj;
    return { type_url: url, value: encodeMessage(inner, rest, path) };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new CodecError(`${path}: expected an object for ${name}`);
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(json as JsonObject)) {
    if (value === undefined) continue;
    const field = fieldByName(type, key);
    if (!field) throw new CodecError(`${path ? `${path}.` : ''}${key}: no such field in ${name}`);
    field.resolve();
    const here = path ? `${path}.${key}` : key;
    const convert = (v: Json, p: string) => convertValue(field, v, p);
    if (field.map) {
      out[field.name] = Object.fromEntries(Object.entries((value as JsonObject) ?? {}).map(([k, v]) => [k, convert(v, `${here}.${k}`)]));
    } else if (field.repeated) {
      if (!Array.isArray(value)) throw new CodecError(`${here}: expected a list`);
      out[field.name] = value.map((v, i) => convert(v, `${here}[${i}]`));
    } else {
      out[field.name] = convert(value, here);
    }
  }
  return out;
}

function convertValue(field: protobuf.Field, value: Json, path: string): Json {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum) {
    // fromObject would turn an unknown name into 0 without a word.
    if (typeof value === 'string' && resolved.values[value] === undefined) throw new CodecError(`${path}: unknown ${fullName(resolved)} value ${JSON.stringify(value)}`);
    return value;
  }
  if (!(resolved instanceof protobuf.Type)) return value;
  const name = fullName(resolved);
  if (name === 'google.protobuf.Duration' && typeof value === 'string') return parseDuration(value, path);
  if (WRAPPERS.has(name) && (value === null || typeof value !== 'object')) return { value };
  if (name === 'google.protobuf.Struct') return structValue(value)['structValue'] as Json;
  if (name === 'google.protobuf.Value') return structValue(value);
  if (name === 'google.protobuf.Empty') return {};
  return toProtoObject(resolved, value, path);
}

export function encodeMessage(type: protobuf.Type, json: Json, path = ''): Uint8Array {
  const object = toProtoObject(type, json, path);
  return type.encode(type.fromObject(object)).finish();
}

/** Packs a proto3 JSON resource (which names its type with @type or is given one) as an Any. */
export function packAny(typeUrl: string, json: JsonObject): { type_url: string; value: Buffer } {
  const type = lookupType(typeUrl);
  if (!type) throw new CodecError(`unknown type ${typeUrl}`);
  const { '@type': _t, ...rest } = json;
  return { type_url: typeUrl, value: Buffer.from(encodeMessage(type, rest, String(json['name'] ?? json['clusterName'] ?? json['cluster_name'] ?? ''))) };
}

/** protobufjs' object form → proto3 JSON with the protos' snake_case names. */
function toJson(type: protobuf.Type, object: JsonObject): JsonObject {
  const name = fullName(type);
  if (name === 'google.protobuf.Any') return unpackAny(object as { type_url: string; value: Uint8Array | string });
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(object)) {
    const field = type.fields[key];
    if (!field) continue;
    field.resolve();
    const convert = (v: Json): Json => {
      const resolved = field.resolvedType;
      if (!(resolved instanceof protobuf.Type)) return v;
      const n = fullName(resolved);
      if (n === 'google.protobuf.Duration') return formatDuration(v as { seconds?: number; nanos?: number });
      if (WRAPPERS.has(n)) return (v as JsonObject)['value'] ?? defaultWrapper(n);
      if (n === 'google.protobuf.Struct') return fromStruct(v as JsonObject);
      if (n === 'google.protobuf.Value') return fromStructValue(v as JsonObject);
      return toJson(resolved, v as JsonObject);
    };
    if (field.map) out[key] = Object.fromEntries(Object.entries(value as JsonObject).map(([k, v]) => [k, convert(v)]));
    else if (field.repeated) out[key] = (value as Json[]).map(convert);
    else out[key] = convert(value);
  }
  return out;
}

function defaultWrapper(name: string): Json {
  if (name.endsWith('BoolValue')) return false;
  if (name.endsWith('StringValue') || name.endsWith('BytesValue')) return '';
  if (name.endsWith('Int64Value')) return '0';
  return 0;
}

export function unpackAny(any: { type_url: string; value: Uint8Array | string }): JsonObject {
  const type = lookupType(any.type_url);
  if (!type) throw new CodecError(`unknown type ${any.type_url}`);
  // Nested Anys arrive from toObject with their bytes in base64.
  const bytes = typeof any.value === 'string' ? Buffer.from(any.value, 'base64') : any.value;
  const message = type.decode(bytes);
  const object = type.toObject(message, { enums: String, longs: String, bytes: String, defaults: false, arrays: false, objects: false, oneofs: false }) as JsonObject;
  return { '@type': any.type_url.startsWith(TYPE_URL_PREFIX) ? any.type_url : `${TYPE_URL_PREFIX}${any.type_url}`, ...toJson(type, object) };
}
