// The HTTP-filter interface and registry. Filters see each request in order;
// the last must be terminal (envoy.filters.http.router), which sends it upstream.
// A filter may pause the chain (a fault delay) by returning a promise; the chain
// stays synchronous for filters that do not.
import type http from 'node:http';
import { ConfigError } from '../config/errors.js';
import type { JsonObject } from '../config/proto-json.js';
import type { FactoryContext } from '../network-filters/network-filter.js';
import type { Headers } from './header-mutation.js';
import type { HttpStats } from './http-stats.js';
import { sendLocalReply } from './local-reply.js';
import type { RouteSelection } from './route-config.js';
import type { DownstreamUpgrade } from './upgrade-downstream.js';

/** One request as it passes the HTTP filters. */
export interface HttpRequestContext {
  request: http.IncomingMessage;
  response: http.ServerResponse;
  /** Request headers as they will go upstream (filters may change them). */
  headers: Headers;
  path: string;
  /** undefined when no route matched (the router then answers 404). */
  selection: RouteSelection | undefined;
  requestId: string;
  startedAt: number;
  stats: HttpStats;
  /** Envoy's response flags for the access log (UF, UH, NR, UT, URX, …). */
  responseFlags: Set<string>;
  /** The connection's (restored) destination: ORIGINAL_DST clusters connect there. */
  downstreamLocalAddress?: { address: string; port: number };
  /** The protocol the client spoke (an upstream with use_downstream_protocol_config follows it). */
  downstreamProtocol: 'http1' | 'http2';
  /** For the access log: what the router did. */
  upstreamHost?: string;
  upstreamCluster?: string;
  responseCodeDetails?: string;
  bytesReceived: number;
  bytesSent: number;
  /** The server header: its value and server_header_transformation. */
  server: { name: string; transformation: 'OVERWRITE' | 'APPEND_IF_ABSENT' | 'PASS_THROUGH' };
  /** Set when the request is an upgrade (WebSocket) the connection manager allows for its route. */
  upgrade?: DownstreamUpgrade;
}

export type HttpFilterStatus = 'continue' | 'stop';

export interface HttpFilter {
  /** 'continue' passes the request on; 'stop' means the filter answered it; a promise resumes the chain when it settles. */
  decodeHeaders(context: HttpRequestContext): HttpFilterStatus | Promise<HttpFilterStatus>;
}

/** What an HTTP filter's factory gets besides the listener's: its name in http_filters and the connection manager's stat_prefix. */
export interface HttpFilterFactoryContext extends FactoryContext {
  /** The key its typed_per_filter_config entries use. */
  filterName: string;
  statPrefix: string;
}

export interface HttpFilterFactory {
  terminal: boolean;
  create(typedConfig: JsonObject | undefined, context: HttpFilterFactoryContext, path: string): () => HttpFilter;
  /**
   * Compiles a typed_per_filter_config entry (route, virtual host or route configuration) into what
   * the filter reads from the selected route. Filters without it take no per-route configuration.
   */
  perRouteConfig?(typedConfig: JsonObject, path: string): unknown;
}

interface Registration {
  names: readonly string[];
  typeUrl: string;
  factory: HttpFilterFactory;
}

const byName = new Map<string, Registration>();
const byType = new Map<string, Registration>();

export function registerHttpFilter(registration: Registration): void {
  for (const name of registration.names) byName.set(name, registration);
  byType.set(registration.typeUrl, registration);
}

/** The filter that takes a typed_per_filter_config entry, found by its @type (as Envoy does). */
export function perRouteFilterFactory(key: string, typedConfig: JsonObject, path: string): HttpFilterFactory & { perRouteConfig(typedConfig: JsonObject, path: string): unknown } {
  const typeUrl = typedConfig['@type'] as string | undefined;
  const registration = typeUrl !== undefined ? byType.get(typeUrl) : undefined;
  if (!registration) throw new ConfigError(`typed_per_filter_config "${key}": ${typeUrl ?? 'a config without @type'} is not an HTTP filter the outrigger proxy supports`, path);
  const factory = registration.factory;
  if (!factory.perRouteConfig) throw new ConfigError(`typed_per_filter_config "${key}": HTTP filter ${registration.names[0]} takes no per-route configuration`, path);
  return factory as HttpFilterFactory & { perRouteConfig(typedConfig: JsonObject, path: string): unknown };
}

/**
 * A request header by lower-case name as Envoy's matchers see it: the pseudo-headers :method,
 * :path, :authority and :scheme included (the filters' header map has none), repeated headers joined with ",".
 */
export function matchableHeader(headers: Headers, method: string, path: string, name: string): string | undefined {
  if (name.charCodeAt(0) === 58 /* ':' */) {
    if (name === ':method') return method;
    if (name === ':path') return path;
    if (name === ':authority') return joinedValue(headers['host']);
    if (name === ':scheme') return 'http';
    return undefined;
  }
  return joinedValue(headers[name]);
}

function joinedValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/** The per-route configuration of the filter named `filterName` for this request, the most specific level's (route, virtual host, route configuration). */
export function perRouteConfig<T>(context: HttpRequestContext, filterName: string): T | undefined {
  return context.selection?.route.perFilterConfig.get(filterName) as T | undefined;
}

/**
 * Runs the filters from `from` on: synchronously while they answer 'continue' or 'stop', and
 * from a filter's promise on when one pauses. A stream the client has closed meanwhile goes no further.
 */
export function runDecodeHeaders(filters: readonly HttpFilter[], context: HttpRequestContext, from = 0): void {
  for (let i = from; i < filters.length; i++) {
    const status = filters[i]!.decodeHeaders(context);
    if (status === 'continue') continue;
    if (status === 'stop') return;
    status.then(
      (resumed) => {
        if (resumed === 'continue' && !context.response.destroyed && !context.response.writableEnded) runDecodeHeaders(filters, context, i + 1);
      },
      () => sendLocalReply(context, 500, 'internal error'),
    );
    return;
  }
}

export function httpFilterFactory(name: string, typedConfig: JsonObject | undefined, path: string): HttpFilterFactory {
  const typeUrl = typedConfig?.['@type'] as string | undefined;
  const registration = typeUrl !== undefined ? byType.get(typeUrl) : byName.get(name);
  if (!registration) {
    throw new ConfigError(
      typeUrl !== undefined ? `HTTP filter type ${typeUrl} is not supported by the outrigger proxy` : `unknown HTTP filter "${name}" (supported: ${[...byName.keys()].join(', ')})`,
      path,
    );
  }
  return registration.factory;
}
