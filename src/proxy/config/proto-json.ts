// Decodes protobuf's JSON mapping (what Envoy reads from YAML/JSON bootstraps
// and what config_dump prints) against the real Envoy schemas, strictly:
// unknown fields, wrong types, two members of a oneof, unknown enum names and
// protoc-gen-validate violations are errors naming the path. The result is the
// canonical JSON form with Envoy's snake_case field names, enums as names,
// Durations as "1.5s" strings, wrappers as their plain value and Any as
// { "@type": url, ...fields } — the same shape config_dump emits.
import protobuf from 'protobufjs';
import { ConfigError } from './errors.js';
import { formatDuration, parseDuration } from './duration.js';
import { lookupMessage, TYPE_URL_PREFIX } from './protos.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Decides whether a set field is one the proxy implements; unsupported ones are rejected. */
export type FieldPolicy = (typeName: string, fieldName: string) => boolean;

const allowAll: FieldPolicy = () => true;

const WRAPPERS = new Set([
  'google.protobuf.BoolValue', 'google.protobuf.StringValue', 'google.protobuf.BytesValue',
  'google.protobuf.Int32Value', 'google.protobuf.UInt32Value', 'google.protobuf.Int64Value',
  'google.protobuf.UInt64Value', 'google.protobuf.FloatValue', 'google.protobuf.DoubleValue',
]);

const fieldIndex = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();

function lowerCamel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** Fields by proto name and by JSON name (lowerCamelCase or an explicit json_name). */
function fieldsOf(type: protobuf.Type): Map<string, protobuf.Field> {
  let index = fieldIndex.get(type);
  if (!index) {
    index = new Map();
    for (const field of type.fieldsArray) {
      index.set(field.name, field);
      index.set(lowerCamel(field.name), field);
      const jsonName = field.options?.['json_name'] as string | undefined;
      if (jsonName) index.set(jsonName, field);
    }
    fieldIndex.set(type, index);
  }
  return index;
}

function fullName(t: protobuf.ReflectionObject): string {
  return t.fullName.replace(/^\./, '');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A path segment that names the resource when the message has a name. */
function segment(base: string, key: string | number, value: unknown): string {
  const step = typeof key === 'number' ? `${base}[${key}]` : base === '' ? key : `${base}.${key}`;
  if (isPlainObject(value) && typeof value['name'] === 'string') return `${step}("${value['name']}")`;
  return step;
}

export interface DecodeOptions {
  policy?: FieldPolicy;
}

/** Decodes a JSON value as the named message type (e.g. "envoy.config.listener.v3.Listener"). */
export function decodeMessage(typeName: string, value: unknown, path = '', options: DecodeOptions = {}): JsonObject {
  const type = lookupMessage(typeName);
  if (!type) throw new ConfigError(`type ${typeName} is not loaded`, path);
  return new Decoder(options.policy ?? allowAll).message(type, value, path) as JsonObject;
}

/** Decodes an Any given as { "@type": url, ...fields }. */
export function decodeAny(value: unknown, path = '', options: DecodeOptions = {}): JsonObject {
  return new Decoder(options.policy ?? allowAll).any(value, path);
}

class Decoder {
  constructor(private readonly policy: FieldPolicy) {}

  message(type: protobuf.Type, value: unknown, path: string): Json {
    const name = fullName(type);
    const special = this.wellKnown(name, value, path);
    if (special !== undefined) return special;
    if (!isPlainObject(value)) throw new ConfigError(`expected an object for ${name}, got ${describe(value)}`, path);
    const fields = fieldsOf(type);
    const out: JsonObject = {};
    for (const [key, raw] of Object.entries(value)) {
      const field = fields.get(key);
      if (!field) throw new ConfigError(`unknown field "${key}" in ${name}`, path);
      if (raw === null) continue; // JSON null means "unset" in the proto3 mapping
      const fieldPath = path === '' ? field.name : `${path}.${field.name}`;
      if (field.name in out) throw new ConfigError(`field "${field.name}" is given twice (as "${field.name}" and "${lowerCamel(field.name)}")`, path);
      const supported = this.policy(name, field.name);
      // A set message is never a default: reject it before looking inside, so the error names this field.
      // (Wrappers are scalars in JSON; false or 0 there is the default and is judged after decoding.)
      const nonEmptyList = (Array.isArray(raw) && raw.length > 0) || (field instanceof protobuf.MapField && isPlainObject(raw) && Object.keys(raw).length > 0);
      const setMessage = field.resolvedType instanceof protobuf.Type && !WRAPPERS.has(fullName(field.resolvedType)) && !field.repeated && !(field instanceof protobuf.MapField);
      if (!supported && (setMessage || (nonEmptyList && field.resolvedType instanceof protobuf.Type))) {
        throw new ConfigError(`field "${field.name}" of ${name} is not supported by the outrigger proxy`, path);
      }
      const decoded = this.field(field, raw, fieldPath);
      if (!supported && !isDefault(field, decoded)) {
        throw new ConfigError(`field "${field.name}" of ${name} is not supported by the outrigger proxy`, path);
      }
      out[field.name] = decoded;
    }
    for (const oneof of type.oneofsArray) {
      const set = oneof.fieldsArray.filter((f) => f.name in out);
      if (set.length > 1) throw new ConfigError(`only one of ${set.map((f) => `"${f.name}"`).join(', ')} may be set (oneof ${oneof.name})`, path);
      if (set.length === 0 && oneof.options?.['(validate.required)'] === true) {
        throw new ConfigError(`one of ${oneof.fieldsArray.map((f) => `"${f.name}"`).join(', ')} is required`, path);
      }
    }
    for (const field of type.fieldsArray) validate(field, out[field.name], path === '' ? field.name : `${path}.${field.name}`);
    return out;
  }

  private field(field: protobuf.Field, raw: unknown, path: string): Json {
    if (field instanceof protobuf.MapField) {
      if (!isPlainObject(raw)) throw new ConfigError(`expected an object (map), got ${describe(raw)}`, path);
      const out: JsonObject = {};
      for (const [k, v] of Object.entries(raw)) out[k] = this.single(field, v, `${path}["${k}"]`);
      return out;
    }
    if (field.repeated) {
      if (!Array.isArray(raw)) throw new ConfigError(`expected a list, got ${describe(raw)}`, path);
      return raw.map((item, i) => this.single(field, item, segment(path, i, item)));
    }
    return this.single(field, raw, path);
  }

  private single(field: protobuf.Field, raw: unknown, path: string): Json {
    const resolved = field.resolvedType;
    if (resolved instanceof protobuf.Type) return this.message(resolved, raw, path);
    if (resolved instanceof protobuf.Enum) return enumValue(resolved, raw, path);
    return scalar(field.type, raw, path);
  }

  any(value: unknown, path: string): JsonObject {
    if (!isPlainObject(value)) throw new ConfigError(`expected an object with "@type", got ${describe(value)}`, path);
    const url = value['@type'];
    if (typeof url !== 'string' || url === '') throw new ConfigError('"@type" is missing', path);
    if (!url.includes('/')) throw new ConfigError(`"@type" ${JSON.stringify(url)} is not a type URL (expected "${TYPE_URL_PREFIX}<message>")`, path);
    const typeName = url.slice(url.lastIndexOf('/') + 1);
    const type = lookupMessage(typeName);
    if (!type) throw new ConfigError(`"@type" ${typeName} is not a type the outrigger proxy supports`, path);
    const { '@type': _ignored, ...rest } = value;
    const name = fullName(type);
    // Well-known types inside an Any carry their JSON form under "value".
    if (name.startsWith('google.protobuf.') && name !== 'google.protobuf.Empty') {
      return { '@type': `${TYPE_URL_PREFIX}${name}`, value: this.message(type, rest['value'], `${path}.value`) };
    }
    const decoded = this.message(type, rest, path) as JsonObject;
    return { '@type': `${TYPE_URL_PREFIX}${name}`, ...decoded };
  }

  private wellKnown(name: string, value: unknown, path: string): Json | undefined {
    if (!name.startsWith('google.protobuf.')) return undefined;
    if (name === 'google.protobuf.Any') return this.any(value, path);
    if (name === 'google.protobuf.Duration') {
      const d = typeof value === 'string' ? parseDuration(value) : undefined;
      if (!d) throw new ConfigError(`expected a duration such as "1s" or "0.250s", got ${describe(value)}`, path);
      return formatDuration(d);
    }
    if (name === 'google.protobuf.Timestamp') {
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw new ConfigError(`expected an RFC 3339 timestamp, got ${describe(value)}`, path);
      return value;
    }
    if (WRAPPERS.has(name)) {
      const inner = name.slice('google.protobuf.'.length, -'Value'.length).toLowerCase();
      return scalar(inner === 'uint32' ? 'uint32' : inner, value, path);
    }
    if (name === 'google.protobuf.Struct') {
      if (!isPlainObject(value)) throw new ConfigError(`expected an object, got ${describe(value)}`, path);
      return value as JsonObject;
    }
    if (name === 'google.protobuf.Value') return value as Json;
    if (name === 'google.protobuf.ListValue') {
      if (!Array.isArray(value)) throw new ConfigError(`expected a list, got ${describe(value)}`, path);
      return value as Json;
    }
    if (name === 'google.protobuf.Empty') {
      if (!isPlainObject(value) || Object.keys(value).length > 0) throw new ConfigError('expected an empty object', path);
      return {};
    }
    return undefined;
  }
}

function enumValue(type: protobuf.Enum, raw: unknown, path: string): string {
  if (typeof raw === 'string') {
    if (raw in type.values) return raw;
  } else if (typeof raw === 'number' && Number.isInteger(raw)) {
    const name = type.valuesById[raw];
    if (name !== undefined) return name;
  }
  throw new ConfigError(`${describe(raw)} is not a value of ${fullName(type)} (one of ${Object.keys(type.values).join(', ')})`, path);
}

const INT_RANGES: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1], sint32: [-(2 ** 31), 2 ** 31 - 1], sfixed32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1], fixed32: [0, 2 ** 32 - 1],
  // 64-bit integers are held as JavaScript numbers: exact up to 2^53, which covers every count and size in practice.
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], sint64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  sfixed64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER], fixed64: [0, Number.MAX_SAFE_INTEGER],
};

function scalar(type: string, raw: unknown, path: string): Json {
  switch (type) {
    case 'bool':
      if (typeof raw !== 'boolean') throw new ConfigError(`expected true or false, got ${describe(raw)}`, path);
      return raw;
    case 'string':
      if (typeof raw !== 'string') throw new ConfigError(`expected a string, got ${describe(raw)}`, path);
      return raw;
    case 'bytes':
      if (typeof raw !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(raw)) throw new ConfigError(`expected base64 bytes, got ${describe(raw)}`, path);
      return raw;
    case 'double':
    case 'float': {
      if (typeof raw === 'number') return raw;
      if (typeof raw === 'string' && raw.trim() !== '' && !Number.isNaN(Number(raw))) return Number(raw);
      throw new ConfigError(`expected a number, got ${describe(raw)}`, path);
    }
    default: {
      const range = INT_RANGES[type];
      if (!range) throw new ConfigError(`unsupported scalar type ${type}`, path);
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isInteger(n)) throw new ConfigError(`expected an integer (${type}), got ${describe(raw)}`, path);
      if (n < range[0] || n > range[1]) throw new ConfigError(`${n} is out of range for ${type}`, path);
      return n;
    }
  }
}

/** A field set to its proto3 default changes nothing, so it is accepted even where unsupported. */
function isDefault(field: protobuf.Field, value: Json): boolean {
  if (value === false || value === 0 || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (field instanceof protobuf.MapField) return isPlainObject(value) && Object.keys(value).length === 0;
  if (field.resolvedType instanceof protobuf.Enum) return field.resolvedType.values[value as string] === 0;
  return false;
}

/** The protoc-gen-validate rules Envoy enforces that matter for config we accept. */
function validate(field: protobuf.Field, value: Json | undefined, path: string): void {
  const rules = field.options;
  if (!rules) return;
  if (value === undefined) {
    // Inside a oneof, "required" constrains the member only when it is the one chosen.
    if (rules['(validate.rules).message.required'] === true && !field.partOf) throw new ConfigError(`field "${field.name}" is required`, path.slice(0, path.lastIndexOf('.')) || path);
    return;
  }
  const minItems = rules['(validate.rules).repeated.min_items'] as number | undefined;
  if (minItems !== undefined && Array.isArray(value) && value.length < minItems) {
    throw new ConfigError(`needs at least ${minItems} item${minItems === 1 ? '' : 's'}`, path);
  }
  const minLen = rules['(validate.rules).string.min_len'] as number | undefined;
  if (minLen !== undefined && typeof value === 'string' && value.length < minLen) {
    throw new ConfigError(minLen === 1 ? 'must not be empty' : `must be at least ${minLen} characters`, path);
  }
  if (typeof value === 'number') {
    for (const kind of ['uint32', 'int32', 'uint64', 'int64', 'double', 'float']) {
      const gt = rules[`(validate.rules).${kind}.gt`] as number | undefined;
      const gte = rules[`(validate.rules).${kind}.gte`] as number | undefined;
      const lt = rules[`(validate.rules).${kind}.lt`] as number | undefined;
      const lte = rules[`(validate.rules).${kind}.lte`] as number | undefined;
      if (gt !== undefined && !(value > gt)) throw new ConfigError(`must be greater than ${gt}, got ${value}`, path);
      if (gte !== undefined && !(value >= gte)) throw new ConfigError(`must be at least ${gte}, got ${value}`, path);
      if (lt !== undefined && !(value < lt)) throw new ConfigError(`must be less than ${lt}, got ${value}`, path);
      if (lte !== undefined && !(value <= lte)) throw new ConfigError(`must be at most ${lte}, got ${value}`, path);
    }
  }
}
