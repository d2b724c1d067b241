// Go's view of JSON objects. Istio's templates read Kubernetes objects and protos
// through Go field names (.Spec.Containers, $c.Ports, .ProxyConfig.ProxyAdminPort,
// .ProxyConfig.HoldApplicationUntilProxyStarts.GetValue, .ProxyConfig.InterceptionMode.String),
// while Outrigger holds them as JSON. A view is a struct to the template engine
// (see src/gotemplate/values.ts) whose fields map Go names onto JSON keys, whose map-typed
// fields are plain maps, whose proto enums print their names and whose well-known
// wrapper fields answer GetValue even when unset, as Go's nil-safe proto getters do.
import { GO_MAP_ZERO, GO_NIL } from '../gotemplate/index.js';

/** The JSON behind a view (or the value itself when it is not a view). */
export const RAW = Symbol('go-view-raw');

/** Go field name → JSON name: "HTTPGet" → "httpGet", "DNSPolicy" → "dnsPolicy", "HostIPC" → "hostIPC". */
export function jsonName(goName: string): string {
  const match = /^([A-Z]+)(.*)$/.exec(goName);
  if (!match) return goName;
  const [, caps = '', rest = ''] = match;
  if (caps.length > 1 && /^[a-z]/.test(rest)) return caps.slice(0, -1).toLowerCase() + caps.slice(-1) + rest;
  return caps.toLowerCase() + rest;
}

/** Describes how the fields of a family of objects (Kubernetes, MeshConfig) are typed. */
export interface ViewSchema {
  /** JSON keys whose values are Go maps: returned as plain objects, keys exact. */
  maps: ReadonlySet<string>;
  /** Those of the maps that are map[string]string: a missing key reads as "". */
  stringMaps?: ReadonlySet<string>;
  /** JSON keys holding lists: unset, they read as empty lists, as Go's nil slices do. */
  lists?: ReadonlySet<string>;
  /** JSON keys holding proto enums, with the name of their zero value: they print by name and have String(). */
  enums?: ReadonlyMap<string, string | undefined>;
  /** JSON keys holding google.protobuf wrappers (BoolValue, Int32Value…), with their zero value. */
  wrappers?: ReadonlyMap<string, unknown>;
  /** Go names that do not follow the JSON naming rule: Go name → JSON key. */
  renames?: Readonly<Record<string, string>>;
}

function named(name: string): new () => object {
  // Named classes make the engine's messages say "*PodSpec" as Go's would.
  return { [name]: class {} }[name] as new () => object;
}

/** A proto enum value: compares and prints as its name. */
export class ProtoEnum {
  constructor(readonly name: string) {}
  String(): string {
    return this.name;
  }
  toJSON(): string {
    return this.name;
  }
}

/** A set google.protobuf wrapper (BoolValue, Int32Value…). */
export class ProtoWrapper {
  constructor(readonly Value: unknown) {}
  GetValue(): unknown {
    return this.Value;
  }
  String(): string {
    return `value:${String(this.Value)}`;
  }
  toJSON(): unknown {
    return this.Value;
  }
}

/**
 * An unset wrapper field: Go holds a nil pointer, whose getter still answers the zero
 * value. It is false to if/with/and/or, like the nil it stands for.
 */
export class NilProtoWrapper {
  readonly [GO_NIL] = true;
  constructor(private readonly zero: unknown) {}
  GetValue(): unknown {
    return this.zero;
  }
  String(): string {
    return '<nil>';
  }
  toJSON(): null {
    return null;
  }
}

export function isView(value: unknown): boolean {
  return value !== null && typeof value === 'object' && (value as { [RAW]?: unknown })[RAW] !== undefined;
}

/** Deeply replaces views (and enums, wrappers) with their JSON, for JSON/YAML encoders. */
export function unview(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof ProtoEnum) return value.name;
  if (value instanceof ProtoWrapper) return unview(value.Value);
  if (value instanceof NilProtoWrapper) return null;
  const raw = (value as { [RAW]?: unknown })[RAW];
  if (raw !== undefined) return raw;
  if (Array.isArray(value)) return value.map(unview);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unview(v)]));
}

function wrap(value: unknown, key: string, schema: ViewSchema, typeName: string): unknown {
  if (schema.enums?.has(key)) {
    if (typeof value === 'string') return new ProtoEnum(value);
    // An unset enum field holds its zero value, which has a name too.
    const zero = schema.enums.get(key);
    if (value === undefined && zero !== undefined) return new ProtoEnum(zero);
  }
  if (schema.wrappers?.has(key)) return value === undefined || value === null ? new NilProtoWrapper(schema.wrappers.get(key)) : new ProtoWrapper(value);
  // Go's nil maps and slices read as empty: index, len and range work on them.
  if (schema.maps.has(key) && (value === undefined || (value !== null && typeof value === 'object'))) {
    const map = { ...((value ?? {}) as object) };
    if (schema.stringMaps?.has(key)) Object.defineProperty(map, GO_MAP_ZERO, { value: '' });
    return map;
  }
  if (value === undefined && schema.lists?.has(key)) return [];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.map((item) => wrap(item, `${key}[]`, schema, typeName));
  if (value !== null && typeof value === 'object') return goView(value as Record<string, unknown>, schema, typeNameFor(key));
  return value;
}

function typeNameFor(key: string): string {
  const base = key.replace(/\[\]$/, '');
  const singular = key.endsWith('[]') && base.endsWith('s') ? base.slice(0, -1) : base;
  return singular.charAt(0).toUpperCase() + singular.slice(1);
}

/** Wraps a JSON object as a Go struct for the template engine. */
export function goView(json: Record<string, unknown>, schema: ViewSchema, typeName: string): object {
  const Type = named(typeName);
  const target = new Type();
  const cache = new Map<string, unknown>();
  const field = (name: string): unknown => {
    if (cache.has(name)) return cache.get(name);
    const key = schema.renames?.[name] ?? (Object.prototype.hasOwnProperty.call(json, name) ? name : jsonName(name));
    const value = wrap(json[key], key, schema, typeName);
    cache.set(name, value);
    return value;
  };
  return new Proxy(target, {
    has(_t, prop) {
      if (typeof prop !== 'string') return false;
      // Any exported (capitalised) name is a field of the struct; JSON keys too.
      return /^[A-Z]/.test(prop) || Object.prototype.hasOwnProperty.call(json, prop);
    },
    get(t, prop) {
      if (prop === RAW) return json;
      if (prop === 'toJSON') return () => json;
      if (typeof prop !== 'string') return Reflect.get(t, prop);
      // Proto getters: GetFoo() is Foo, safe on unset fields.
      if (/^Get[A-Z]/.test(prop) && !Object.prototype.hasOwnProperty.call(json, prop)) return () => field(prop.slice(3));
      if (!/^[A-Z]/.test(prop) && !Object.prototype.hasOwnProperty.call(json, prop)) return Reflect.get(t, prop);
      return field(prop);
    },
    ownKeys() {
      return Object.keys(json);
    },
    getOwnPropertyDescriptor(_t, prop) {
      if (typeof prop === 'string' && Object.prototype.hasOwnProperty.call(json, prop)) {
        return { enumerable: true, configurable: true, writable: false, value: field(prop) };
      }
      return undefined;
    },
  });
}

/** Map-typed fields of the Kubernetes objects a template reads. */
export const kubeSchema: ViewSchema = {
  maps: new Set(['labels', 'annotations', 'nodeSelector', 'limits', 'requests', 'matchLabels', 'data', 'binaryData', 'overhead', 'capacity', 'allocatable', 'volumeAttributes', 'parameters']),
  stringMaps: new Set(['labels', 'annotations', 'nodeSelector', 'matchLabels', 'data', 'volumeAttributes', 'parameters']),
  lists: new Set(['containers', 'initContainers', 'ephemeralContainers', 'volumes', 'imagePullSecrets', 'ports', 'env', 'envFrom', 'volumeMounts', 'volumeDevices', 'args', 'command', 'tolerations', 'hostAliases', 'readinessGates', 'topologySpreadConstraints', 'finalizers', 'ownerReferences', 'resourceClaims', 'schedulingGates']),
};

/** MeshConfig and ProxyConfig as protos. */
export const meshSchema: ViewSchema = {
  maps: new Set(['proxyMetadata', 'runtimeValues', 'meshNetworks', 'headers']),
  stringMaps: new Set(['proxyMetadata', 'runtimeValues']),
  lists: new Set(['extraStatTags', 'trustDomainAliases', 'defaultServiceExportTo', 'extensionProviders', 'discoverySelectors', 'serviceSettings', 'certificates', 'caCertificates']),
  enums: new Map<string, string | undefined>([
    ['interceptionMode', 'REDIRECT'],
    ['controlPlaneAuthPolicy', 'NONE'],
    ['tracingServiceName', 'APP_LABEL_AND_NAMESPACE'],
    ['accessLogEncoding', 'TEXT'],
    ['ingressControllerMode', 'UNSPECIFIED'],
    ['h2UpgradePolicy', 'DO_NOT_UPGRADE'],
    ['mode', undefined],
  ]),
  wrappers: new Map<string, unknown>([
    ['holdApplicationUntilProxyStarts', false],
    ['concurrency', 0],
    ['enableAutoMtls', false],
    ['enablePrometheusMerge', false],
    ['fileFlushMinSizeKb', 0],
  ]),
};
