// A RouteConfiguration compiled once into immutable matchers and actions.
// selectRoute() is the pure decision: which virtual host, which route.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/errors.js';
import { durationMs } from '../config/duration.js';
import { buildDomainIndex, matchDomain } from './virtual-host-match.js';
import type { DomainIndex } from './virtual-host-match.js';
import { compileRouteMatch, matchRoute } from './route-match.js';
import type { RequestInfo, RequestPredicate, RouteMatchConfig } from './route-match.js';
import { chainMutations, compileHeaderMutation } from './header-mutation.js';
import type { HeaderMutation, HeaderValueOption } from './header-mutation.js';
import { compileHashPolicy } from './hash-policy.js';
import type { HashPolicyConfig, RequestHasher } from './hash-policy.js';
import type { JsonObject } from '../config/proto-json.js';
import { compilePerFilterConfig, mostSpecific } from './per-filter-config.js';
import type { PerFilterConfig } from './per-filter-config.js';
import { compileMirrorPolicies } from './request-mirror.js';
import type { MirrorPolicy, RequestMirrorPolicyConfig } from './request-mirror.js';
import { compileUpgradeConfigs } from './upgrade-config.js';
import type { UpgradeConfigInput, UpgradeMap } from './upgrade-config.js';

/** Envoy's default route timeout. */
export const DEFAULT_ROUTE_TIMEOUT_MS = 15_000;

interface HeaderMutationFields {
  request_headers_to_add?: HeaderValueOption[];
  request_headers_to_remove?: string[];
  response_headers_to_add?: HeaderValueOption[];
  response_headers_to_remove?: string[];
  typed_per_filter_config?: Record<string, JsonObject>;
}

export interface RetryPolicyConfig {
  retry_on?: string;
  num_retries?: number;
  per_try_timeout?: string;
  retriable_status_codes?: number[];
  retry_host_predicate?: { name: string; typed_config?: { '@type': string } }[];
  host_selection_retry_max_attempts?: number;
}

interface RouteConfigInput extends HeaderMutationFields {
  name?: string;
  virtual_hosts?: (HeaderMutationFields & {
    name: string;
    domains: string[];
    routes?: (HeaderMutationFields & {
      name?: string;
      match: RouteMatchConfig;
      route?: {
        cluster?: string;
        weighted_clusters?: { clusters: { name: string; weight?: number }[] };
        prefix_rewrite?: string;
        host_rewrite_literal?: string;
        timeout?: string;
        retry_policy?: RetryPolicyConfig;
        cluster_not_found_response_code?: 'SERVICE_UNAVAILABLE' | 'NOT_FOUND' | 'INTERNAL_SERVER_ERROR';
        hash_policy?: HashPolicyConfig[];
        max_stream_duration?: { max_stream_duration?: string; grpc_timeout_header_max?: string; grpc_timeout_header_offset?: string };
        request_mirror_policies?: RequestMirrorPolicyConfig[];
        upgrade_configs?: UpgradeConfigInput[];
      };
      redirect?: {
        https_redirect?: boolean;
        scheme_redirect?: string;
        host_redirect?: string;
        port_redirect?: number;
        path_redirect?: string;
        prefix_rewrite?: string;
        response_code?: string;
        strip_query?: boolean;
      };
      direct_response?: { status: number; body?: { inline_string?: string; inline_bytes?: string; filename?: string } };
    })[];
    include_request_attempt_count?: boolean;
    include_attempt_count_in_response?: boolean;
    retry_policy?: RetryPolicyConfig;
    request_mirror_policies?: RequestMirrorPolicyConfig[];
  })[];
  ignore_port_in_host_matching?: boolean;
}

export const RETRY_ON = [
  '5xx', 'gateway-error', 'reset', 'connect-failure', 'retriable-status-codes', 'refused-stream', 'retriable-4xx',
  // gRPC: by the grpc-status of a trailers-only response.
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable',
] as const;
export type RetryOn = (typeof RETRY_ON)[number];

export interface RetryPolicy {
  retryOn: ReadonlySet<RetryOn>;
  numRetries: number;
  perTryTimeoutMs: number;
  retriableStatusCodes: ReadonlySet<number>;
}

export type RouteAction =
  | { kind: 'cluster'; clusters: readonly { name: string; weight: number }[]; prefixRewrite?: string; matchedPrefix?: string; hostRewrite?: string; timeoutMs: number; retry?: RetryPolicy; clusterNotFoundStatus: number; hash?: RequestHasher; grpcTimeout?: { maxMs: number; offsetMs: number }; mirrors: readonly MirrorPolicy[]; upgrades?: UpgradeMap }
  | { kind: 'redirect'; status: number; scheme?: string; host?: string; port?: number; path?: string; prefixRewrite?: string; matchedPrefix?: string; stripQuery: boolean }
  | { kind: 'direct'; status: number; body?: string };

export interface CompiledRoute {
  name: string;
  action: RouteAction;
  requestHeaders: HeaderMutation;
  responseHeaders: HeaderMutation;
  /** typed_per_filter_config by filter name, the most specific level's entry for each (route, virtual host, route configuration). */
  perFilterConfig: PerFilterConfig;
}

export interface CompiledVirtualHost {
  name: string;
  routes: readonly CompiledRoute[];
  predicates: readonly RequestPredicate[];
  includeAttemptCount: boolean;
  includeAttemptCountInResponse: boolean;
}

export interface CompiledRouteConfig {
  name: string;
  hosts: DomainIndex<CompiledVirtualHost>;
  ignorePort: boolean;
}

const REDIRECT_CODES: Record<string, number> = { MOVED_PERMANENTLY: 301, FOUND: 302, SEE_OTHER: 303, TEMPORARY_REDIRECT: 307, PERMANENT_REDIRECT: 308 };
const NOT_FOUND_CODES: Record<string, number> = { SERVICE_UNAVAILABLE: 503, NOT_FOUND: 404, INTERNAL_SERVER_ERROR: 500 };

export function compileRetryPolicy(p: RetryPolicyConfig | undefined, path: string): RetryPolicy | undefined {
  if (!p) return undefined;
  (p.retry_host_predicate ?? []).forEach((predicate, i) => {
    // The router already prefers hosts not yet tried, which is what previous_hosts asks for.
    const ok = predicate.name === 'envoy.retry_host_predicates.previous_hosts' || predicate.typed_config?.['@type']?.endsWith('.PreviousHostsPredicate');
    if (!ok) throw new ConfigError(`retry host predicate "${predicate.name}" is not supported (only envoy.retry_host_predicates.previous_hosts)`, `${path}.retry_host_predicate[${i}]`);
  });
  const retryOn = new Set<RetryOn>();
  for (const item of (p.retry_on ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(RETRY_ON as readonly string[]).includes(item)) throw new ConfigError(`retry_on "${item}" is not supported (use ${RETRY_ON.join(', ')})`, `${path}.retry_on`);
    retryOn.add(item as RetryOn);
  }
  return {
    retryOn,
    numRetries: p.num_retries ?? 1,
    perTryTimeoutMs: durationMs(p.per_try_timeout, 0),
    retriableStatusCodes: new Set(p.retriable_status_codes ?? []),
  };
}

function routeMutation(m: HeaderMutationFields, path: string, direction: 'request' | 'response'): HeaderMutation {
  return direction === 'request'
    ? compileHeaderMutation(m.request_headers_to_add, m.request_headers_to_remove, `${path}.request_headers_to_add`)
    : compileHeaderMutation(m.response_headers_to_add, m.response_headers_to_remove, `${path}.response_headers_to_add`);
}

export function compileRouteConfig(input: RouteConfigInput, path: string): CompiledRouteConfig {
  const topRequest = routeMutation(input, path, 'request');
  const topResponse = routeMutation(input, path, 'response');
  const topFilterConfig = compilePerFilterConfig(input.typed_per_filter_config, path);
  const hosts = (input.virtual_hosts ?? []).map((vh, i) => {
    const vhPath = `${path}.virtual_hosts[${i}]("${vh.name}")`;
    const vhRetry = compileRetryPolicy(vh.retry_policy, `${vhPath}.retry_policy`);
    const vhRequest = routeMutation(vh, vhPath, 'request');
    const vhResponse = routeMutation(vh, vhPath, 'response');
    const vhFilterConfig = compilePerFilterConfig(vh.typed_per_filter_config, vhPath);
    const vhMirrors = compileMirrorPolicies(vh.request_mirror_policies, `${vhPath}.request_mirror_policies`);
    const routes = (vh.routes ?? []).map((r, j): CompiledRoute & { predicate: RequestPredicate } => {
      const rPath = `${vhPath}.routes[${j}]${r.name ? `("${r.name}")` : ''}`;
      let action: RouteAction;
      if (r.route) {
        const a = r.route;
        const clusters = a.cluster !== undefined ? [{ name: a.cluster, weight: 1 }] : (a.weighted_clusters?.clusters ?? []).map((c) => ({ name: c.name, weight: c.weight ?? 0 }));
        if (clusters.length === 0) throw new ConfigError('a route action needs cluster or weighted_clusters', `${rPath}.route`);
        action = {
          kind: 'cluster',
          clusters,
          ...(a.prefix_rewrite !== undefined ? { prefixRewrite: a.prefix_rewrite, matchedPrefix: r.match.prefix ?? r.match.path_separated_prefix ?? '' } : {}),
          ...(a.host_rewrite_literal !== undefined ? { hostRewrite: a.host_rewrite_literal } : {}),
          timeoutMs: durationMs(a.timeout, DEFAULT_ROUTE_TIMEOUT_MS),
          retry: compileRetryPolicy(a.retry_policy, `${rPath}.route.retry_policy`) ?? vhRetry,
          clusterNotFoundStatus: NOT_FOUND_CODES[a.cluster_not_found_response_code ?? 'SERVICE_UNAVAILABLE'] ?? 503,
          ...(a.hash_policy?.length ? { hash: compileHashPolicy(a.hash_policy)! } : {}),
          ...grpcTimeout(a.max_stream_duration, `${rPath}.route.max_stream_duration`),
          // The route's mirror policies replace the virtual host's (Envoy does not merge them).
          mirrors: a.request_mirror_policies?.length ? compileMirrorPolicies(a.request_mirror_policies, `${rPath}.route.request_mirror_policies`) : vhMirrors,
          // Per-route upgrades override the connection manager's, type by type.
          ...(a.upgrade_configs?.length ? { upgrades: compileUpgradeConfigs(a.upgrade_configs, `${rPath}.route.upgrade_configs`) } : {}),
        };
      } else if (r.redirect) {
        const d = r.redirect;
        action = {
          kind: 'redirect',
          status: REDIRECT_CODES[d.response_code ?? 'MOVED_PERMANENTLY'] ?? 301,
          ...(d.https_redirect ? { scheme: 'https' } : d.scheme_redirect !== undefined ? { scheme: d.scheme_redirect } : {}),
          ...(d.host_redirect !== undefined ? { host: d.host_redirect } : {}),
          ...(d.port_redirect ? { port: d.port_redirect } : {}),
          ...(d.path_redirect !== undefined ? { path: d.path_redirect } : {}),
          ...(d.prefix_rewrite !== undefined ? { prefixRewrite: d.prefix_rewrite, matchedPrefix: r.match.prefix ?? '' } : {}),
          stripQuery: d.strip_query === true,
        };
      } else if (r.direct_response) {
        const body = r.direct_response.body;
        let text: string | undefined;
        if (body?.inline_string !== undefined) text = body.inline_string;
        else if (body?.inline_bytes !== undefined) text = Buffer.from(body.inline_bytes, 'base64').toString('latin1');
        else if (body?.filename !== undefined) {
          try {
            text = readFileSync(body.filename, 'latin1');
          } catch (error) {
            throw new ConfigError(`cannot read ${body.filename}: ${(error as NodeJS.ErrnoException).code}`, `${rPath}.direct_response.body.filename`);
          }
        }
        action = { kind: 'direct', status: r.direct_response.status, ...(text !== undefined ? { body: text } : {}) };
      } else throw new ConfigError('a route needs route, redirect or direct_response', rPath);
      return {
        name: r.name ?? '',
        predicate: compileRouteMatch(r.match, `${rPath}.match`),
        action,
        // Innermost first, so the route configuration's own mutations come last and win.
        requestHeaders: chainMutations(routeMutation(r, rPath, 'request'), vhRequest, topRequest),
        responseHeaders: chainMutations(routeMutation(r, rPath, 'response'), vhResponse, topResponse),
        perFilterConfig: mostSpecific(compilePerFilterConfig(r.typed_per_filter_config, rPath), vhFilterConfig, topFilterConfig),
      };
    });
    const value: CompiledVirtualHost = {
      name: vh.name,
      routes,
      predicates: routes.map((r) => r.predicate),
      includeAttemptCount: vh.include_request_attempt_count === true,
      includeAttemptCountInResponse: vh.include_attempt_count_in_response === true,
    };
    return { domains: vh.domains, value };
  });
  return { name: input.name ?? '', hosts: buildDomainIndex(hosts, `${path}.virtual_hosts`), ignorePort: input.ignore_port_in_host_matching === true };
}

/**
 * max_stream_duration: grpc_timeout_header_max makes a request's grpc-timeout its route timeout
 * (capped by the max unless 0s); a non-zero max_stream_duration itself is not implemented.
 */
function grpcTimeout(m: { max_stream_duration?: string; grpc_timeout_header_max?: string; grpc_timeout_header_offset?: string } | undefined, path: string): { grpcTimeout?: { maxMs: number; offsetMs: number } } {
  if (!m) return {};
  if (durationMs(m.max_stream_duration, 0) !== 0) throw new ConfigError('only 0s (no limit) is supported', `${path}.max_stream_duration`);
  if (m.grpc_timeout_header_max === undefined) return {};
  return { grpcTimeout: { maxMs: durationMs(m.grpc_timeout_header_max, 0), offsetMs: durationMs(m.grpc_timeout_header_offset, 0) } };
}

/** gRPC's grpc-timeout header ("100m", "5S", "1H") in milliseconds. */
export function parseGrpcTimeout(value: string | undefined): number | undefined {
  const m = value === undefined ? null : /^(\d{1,8})([HMSmun])$/.exec(value);
  if (!m) return undefined;
  const unit: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };
  return Number(m[1]) * unit[m[2]!]!;
}

export interface RouteSelection {
  virtualHost: CompiledVirtualHost;
  route: CompiledRoute;
}

/** The virtual host and route for a request, or undefined (Envoy answers 404, flag NR). */
export function selectRoute(config: CompiledRouteConfig, authority: string, request: RequestInfo, stripPort = false): RouteSelection | undefined {
  const virtualHost = matchDomain(config.hosts, authority, stripPort || config.ignorePort);
  if (!virtualHost) return undefined;
  const index = matchRoute(virtualHost.predicates, request);
  return index < 0 ? undefined : { virtualHost, route: virtualHost.routes[index]! };
}

/** The upstream :path after prefix_rewrite (the matched prefix replaced, the rest kept). */
export function rewritePath(path: string, matchedPrefix: string, replacement: string): string {
  if (!path.startsWith(matchedPrefix)) return path;
  return replacement + path.slice(matchedPrefix.length);
}
