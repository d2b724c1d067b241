// The HTTP-filter interface and registry. Filters see each request in order;
// the last must be terminal (envoy.filters.http.router), which sends it upstream.
import type http from 'node:http';
import { ConfigError } from '../config/errors.js';
import type { JsonObject } from '../config/proto-json.js';
import type { FactoryContext } from '../network-filters/network-filter.js';
import type { Headers } from './header-mutation.js';
import type { HttpStats } from './http-stats.js';
import type { RouteSelection } from './route-config.js';

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
}

export type HttpFilterStatus = 'continue' | 'stop';

export interface HttpFilter {
  decodeHeaders(context: HttpRequestContext): HttpFilterStatus;
}

export interface HttpFilterFactory {
  terminal: boolean;
  create(typedConfig: JsonObject | undefined, context: FactoryContext, path: string): () => HttpFilter;
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
