// Istio's template functions (its InjectionFuncmap), layered over sprig's so that
// Istio's win where the names clash, exactly as the injector builds its map.
import { goFunc, sprigFuncs, sprint } from '../gotemplate/index.js';
import type { FuncMap } from '../gotemplate/index.js';
import { goJson, goYaml } from '../gotemplate/sprig/index.js';
import { RAW, unview } from './go-view.js';

type StringMap = Record<string, string>;

function plainMap(value: unknown): Record<string, unknown> | undefined {
  const raw = unview(value);
  return raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
}

/** Go's proto duration String(): "45s", "1m30s", "1h0m0s", "500ms". */
export function formatGoDuration(text: string): string {
  const match = /^(-?)(\d+)(?:\.(\d{1,9}))?s$/.exec(text.trim());
  if (!match) return text;
  const [, sign = '', whole = '0', fraction = ''] = match;
  let nanos = BigInt(whole) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0') || '0');
  if (nanos === 0n) return '0s';
  const out: string[] = [sign];
  if (nanos < 1_000_000_000n) {
    // Below a second Go picks the largest unit that keeps an integer part.
    const [unit, size] = nanos < 1000n ? ['ns', 1n] : nanos < 1_000_000n ? ['µs', 1000n] : ['ms', 1_000_000n];
    const integer = nanos / size;
    const rest = (nanos % size).toString().padStart(String(size).length - 1, '0').replace(/0+$/, '');
    return `${sign}${integer}${rest ? `.${rest}` : ''}${unit}`;
  }
  const hours = nanos / 3_600_000_000_000n;
  nanos %= 3_600_000_000_000n;
  const minutes = nanos / 60_000_000_000n;
  nanos %= 60_000_000_000n;
  const seconds = nanos / 1_000_000_000n;
  const subsecond = (nanos % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  if (hours > 0n) out.push(`${hours}h`);
  if (hours > 0n || minutes > 0n) out.push(`${minutes}m`);
  out.push(`${seconds}${subsecond ? `.${subsecond}` : ''}s`);
  return out.join('');
}

/** The container ports as Istio lists them for includeInboundPorts/applicationPorts. */
function containerPorts(containers: unknown): string {
  const list = unview(containers);
  if (!Array.isArray(list)) return '';
  const ports: string[] = [];
  for (const container of list) {
    const entries = (container as { ports?: unknown })?.ports;
    if (!Array.isArray(entries)) continue;
    for (const port of entries) {
      const p = port as { containerPort?: number; protocol?: string };
      // UDP and SCTP ports are not captured: the proxy handles TCP.
      if (p.protocol && p.protocol !== 'TCP') continue;
      if (typeof p.containerPort === 'number') ports.push(String(p.containerPort));
    }
  }
  return ports.join(',');
}

/** Adds a Multus network to k8s.v1.cni.cncf.io/networks, in its JSON or comma form. */
export function appendMultusNetwork(existing: string, network: string): string {
  if (existing === '') return network;
  const close = existing.lastIndexOf(']');
  if (close !== -1) {
    let networks: unknown;
    try {
      networks = JSON.parse(existing);
    } catch {
      return existing;
    }
    if (Array.isArray(networks) && networks.some((n) => (n as { name?: unknown })?.name === network)) return existing;
    return `${existing.slice(0, close)}, {"name": "${network}"}${existing.slice(close)}`;
  }
  if (existing.split(',').some((n) => n.trim() === network)) return existing;
  return `${existing}, ${network}`;
}

export function injectionFuncs(env: Readonly<Record<string, string | undefined>> = process.env): FuncMap {
  const istio: FuncMap = {
    formatDuration: goFunc(['any'], (d: unknown) => (d === null || d === undefined ? '0s' : formatGoDuration(String(unview(d))))),
    isset: goFunc(['any', 'string'], (m: unknown, key: string) => {
      const map = plainMap(m);
      return map !== undefined && Object.prototype.hasOwnProperty.call(map, key);
    }),
    excludeInboundPort: goFunc(['any', 'string'], (port: unknown, excluded: string) => {
      const portText = sprint([unview(port)]).trim();
      if (portText === '') return excluded;
      const ports = excluded.split(',');
      if (ports.includes(portText)) return excluded;
      return [...ports.map((p) => p.trim()).filter((p) => p !== ''), portText].join(',');
    }),
    includeInboundPorts: goFunc(['any'], containerPorts),
    applicationPorts: goFunc(['any'], containerPorts),
    kubevirtInterfaces: goFunc(['string'], (s: string) => s),
    excludeInterfaces: goFunc(['string'], (s: string) => s),
    // annotation META NAME DEFAULT: the annotation's value, else the default printed as Go prints it.
    annotation: goFunc(['any', 'string', 'any'], (meta: unknown, name: string, fallback: unknown) => {
      const annotations = plainMap((meta as { Annotations?: unknown } | null)?.Annotations ?? (plainMap(meta)?.['annotations']));
      const value = annotations?.[name];
      return typeof value === 'string' ? value : sprint([fallback]);
    }),
    valueOrDefault: goFunc(['any', 'any'], (value: unknown, fallback: unknown) => (value === null || value === undefined || value === '' ? fallback : value)),
    toJSON: goFunc(['any'], (m: unknown) => {
      const map = plainMap(m);
      return map === undefined ? '{}' : goJson(map);
    }),
    // Istio returns the string "{}" when the input is not JSON, not an error.
    fromJSON: goFunc(['string'], (text: string) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return '{}';
      }
    }),
    structToJSON: goFunc(['any'], (v: unknown) => (v === null || v === undefined ? '{}' : JSON.stringify(unview(v)) ?? '{}')),
    // protojson drops unset and default fields.
    protoToJSON: goFunc(['any'], (v: unknown) => (v === null || v === undefined ? '{}' : JSON.stringify(dropDefaults(unview(v))) ?? '{}')),
    toYaml: goFunc(['any'], (v: unknown) => {
      try {
        return goYaml(unview(v)).replace(/\n$/, '');
      } catch {
        return '';
      }
    }),
    // Istio's indent leaves the first line alone (sprig's indents it too).
    indent: goFunc(['int', 'string'], (spaces: number, source: string) =>
      source.split('\n').map((line, i) => (i > 0 ? `${' '.repeat(Math.max(0, spaces))}${line}` : line)).join('\n')),
    directory: goFunc(['string'], (p: string) => p.slice(0, p.lastIndexOf('/') + 1)),
    contains: goFunc(['string', 'string'], (needle: string, haystack: string) => haystack.includes(needle)),
    toLower: goFunc(['string'], (s: string) => s.toLowerCase()),
    appendMultusNetwork: goFunc(['string', 'string'], appendMultusNetwork),
    env: goFunc(['string', 'string'], (key: string, fallback: string) => {
      const value = env[key];
      return value === undefined || value === '' ? fallback : value;
    }),
    omit: goFunc(['map'], (dict: Record<string, unknown>, ...keys: string[]) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(plainMap(dict) ?? {})) if (!keys.includes(k)) out[k] = v;
      return out;
    }, 'string'),
    strdict: goFunc([], (...pairs: string[]) => {
      const out: StringMap = {};
      for (let i = 0; i < pairs.length; i += 2) out[pairs[i]!] = pairs[i + 1] ?? '';
      return out;
    }, 'string'),
    toJsonMap: goFunc([], (...maps: unknown[]) => Object.assign({}, ...maps.map((m) => plainMap(m) ?? {})), 'any'),
    mergeMaps: goFunc([], (...maps: unknown[]) => Object.assign({}, ...maps.map((m) => plainMap(m) ?? {})), 'any'),
    omitNil: goFunc(['any'], (m: unknown) => Object.fromEntries(Object.entries(plainMap(m) ?? {}).filter(([, v]) => v !== null && v !== undefined))),
    // OTEL_RESOURCE_ATTRIBUTES from the pod's resource.opentelemetry.io/* annotations.
    otelResourceAttributes: goFunc(['any'], (meta: unknown) => {
      const annotations = plainMap((meta as { Annotations?: unknown } | null)?.Annotations ?? plainMap(meta)?.['annotations']) ?? {};
      return Object.keys(annotations)
        .filter((k) => k.startsWith('resource.opentelemetry.io/'))
        .sort()
        .map((k) => `${k.slice('resource.opentelemetry.io/'.length)}=${String(annotations[k])}`)
        .join(',');
    }),
  };
  return { ...sprigFuncs, ...istio };
}

function dropDefaults(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.map(dropDefaults);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const kept = dropDefaults(v);
      if (kept !== undefined) out[k] = kept;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  if (value === '' || value === 0 || value === false || value === null) return undefined;
  return value;
}

export { RAW };
