// Envoy's access-log format strings ("%REQ(:METHOD)% %RESPONSE_CODE% …"),
// compiled once into a list of literal and value parts. Unknown commands are
// config errors, not blanks.
import os from 'node:os';
import { ConfigError } from '../config/errors.js';
import type { JsonObject, Json } from '../config/proto-json.js';
import { formatResponseFlags } from './access-log-info.js';
import type { AccessLogInfo } from './access-log-info.js';

/** Envoy's default when no format is given. */
export const DEFAULT_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"\n';

type Value = (info: AccessLogInfo) => string | number | undefined;

function withoutPort(address: string | undefined): string | undefined {
  if (!address) return address;
  if (address.startsWith('[')) return address.slice(1, address.indexOf(']'));
  const colon = address.lastIndexOf(':');
  return colon > 0 && address.indexOf(':') === colon ? address.slice(0, colon) : address;
}

function header(get: ((name: string) => string | undefined) | undefined, spec: string): string | undefined {
  if (!get) return undefined;
  // "X?Y": X, or Y when X is absent. ":path" and friends map to what HTTP/1.1 has.
  for (const name of spec.split('?')) {
    const value = get(name.toLowerCase());
    if (value !== undefined) return value;
  }
  return undefined;
}

const commands: Record<string, (arg: string | undefined) => Value> = {
  START_TIME: () => (i) => new Date(i.startTime).toISOString(),
  DURATION: () => (i) => Math.round(i.durationMs),
  PROTOCOL: () => (i) => i.protocol,
  RESPONSE_CODE: () => (i) => i.responseCode ?? 0,
  RESPONSE_FLAGS: () => (i) => formatResponseFlags(i.responseFlags),
  RESPONSE_CODE_DETAILS: () => (i) => i.responseCodeDetails,
  CONNECTION_TERMINATION_DETAILS: () => () => undefined,
  BYTES_RECEIVED: () => (i) => i.bytesReceived,
  BYTES_SENT: () => (i) => i.bytesSent,
  UPSTREAM_HOST: () => (i) => i.upstreamHost,
  UPSTREAM_CLUSTER: () => (i) => i.upstreamCluster,
  UPSTREAM_LOCAL_ADDRESS: () => (i) => i.upstreamLocalAddress,
  UPSTREAM_TRANSPORT_FAILURE_REASON: () => (i) => i.upstreamTransportFailureReason,
  DOWNSTREAM_LOCAL_ADDRESS: () => (i) => i.downstreamLocalAddress,
  DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT: () => (i) => withoutPort(i.downstreamLocalAddress),
  DOWNSTREAM_REMOTE_ADDRESS: () => (i) => i.downstreamRemoteAddress,
  DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT: () => (i) => withoutPort(i.downstreamRemoteAddress),
  DOWNSTREAM_DIRECT_REMOTE_ADDRESS: () => (i) => i.downstreamDirectRemoteAddress,
  REQUESTED_SERVER_NAME: () => (i) => i.requestedServerName,
  ROUTE_NAME: () => (i) => i.routeName,
  HOSTNAME: () => {
    const name = os.hostname();
    return () => name;
  },
  REQ: (arg) => (i) => header(i.requestHeader, arg ?? ''),
  RESP: (arg) => (i) => header(i.responseHeader, arg ?? ''),
};

const COMMAND = /%([A-Z_]+)(?:\(([^)]*)\))?(?::(\d+))?%/g;

export type Formatter = (info: AccessLogInfo) => string;

function compileValue(format: string, path: string): { parts: (string | Value)[] } {
  const parts: (string | Value)[] = [];
  let last = 0;
  for (const m of format.matchAll(COMMAND)) {
    const [whole, name, arg, maxLength] = m;
    const make = commands[name!];
    if (!make) throw new ConfigError(`access log format command %${name}% is not supported by the outrigger proxy`, path);
    if ((name === 'REQ' || name === 'RESP') && !arg) throw new ConfigError(`%${name}(…)% needs a header name`, path);
    parts.push(format.slice(last, m.index));
    const value = make(arg);
    const max = maxLength ? Number(maxLength) : undefined;
    parts.push(max === undefined ? value : (i) => {
      const v = value(i);
      return v === undefined ? v : String(v).slice(0, max);
    });
    last = m.index! + whole.length;
  }
  parts.push(format.slice(last));
  return { parts: parts.filter((p) => p !== '') };
}

/** A text format: missing values print "-", as Envoy does. */
export function compileTextFormat(format: string, path: string): Formatter {
  const { parts } = compileValue(format, path);
  return (info) => {
    let out = '';
    for (const p of parts) {
      if (typeof p === 'string') out += p;
      else {
        const v = p(info);
        out += v === undefined || v === '' ? '-' : String(v);
      }
    }
    return out;
  };
}

/** A JSON format: each string value is a format; missing values become null; one object per line. */
export function compileJsonFormat(format: JsonObject, path: string): Formatter {
  const fields = Object.entries(format).map(([key, value]) => {
    if (typeof value !== 'string') return { key, value: () => value as Json };
    const { parts } = compileValue(value, `${path}.${key}`);
    // A value that is exactly one command keeps its type (numbers stay numbers).
    if (parts.length === 1 && typeof parts[0] !== 'string') {
      const only = parts[0]!;
      return { key, value: (i: AccessLogInfo): Json => (only(i) ?? null) as Json };
    }
    const text = compileTextFormat(value, `${path}.${key}`);
    return { key, value: (i: AccessLogInfo): Json => text(i) };
  });
  return (info) => {
    const out: Record<string, Json> = {};
    for (const f of fields) out[f.key] = f.value(info);
    return `${JSON.stringify(out)}\n`;
  };
}
