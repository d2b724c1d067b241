// VirtualService HTTP routes as Envoy routes: matches, destinations (weighted),
// timeouts, retries, rewrites, redirects, header changes, mirrors, faults (fault.ts).
import { envoyDuration } from './duration.js';
import type { ProxyContext } from './context.js';
import { outboundClusterName, TypeUrl } from './names.js';
import { hashPolicy, policyForPort } from './traffic-policy.js';
import { faultConfig, fractionalPercent } from './fault.js';

type Obj = Record<string, any>;

/** Istio's default retry policy for outbound HTTP routes. */
export function defaultRetryPolicy(): Obj {
  return {
    retryOn: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
    numRetries: 2,
    retryHostPredicate: [{ name: 'envoy.retry_host_predicates.previous_hosts', typedConfig: { '@type': TypeUrl.PreviousHostsPredicate } }],
    hostSelectionRetryMaxAttempts: '5',
    retriableStatusCodes: [503],
  };
}

function stringMatch(match: Obj, ignoreCase = false): Obj | undefined {
  if (match['exact'] !== undefined) return { exact: String(match['exact']), ...(ignoreCase ? { ignoreCase: true } : {}) };
  if (match['prefix'] !== undefined) return { prefix: String(match['prefix']), ...(ignoreCase ? { ignoreCase: true } : {}) };
  if (match['regex'] !== undefined) return { safeRegex: { regex: String(match['regex']) } };
  return undefined;
}

/** One Istio HTTPMatchRequest → an Envoy RouteMatch. */
export function routeMatch(match: Obj | undefined): Obj {
  const out: Obj = {};
  const uri = match?.['uri'] as Obj | undefined;
  const ignoreCase = match?.['ignoreUriCase'] === true;
  if (uri?.['exact'] !== undefined) out['path'] = String(uri['exact']);
  else if (uri?.['prefix'] !== undefined) out['prefix'] = String(uri['prefix']);
  else if (uri?.['regex'] !== undefined) out['safeRegex'] = { regex: String(uri['regex']) };
  else out['prefix'] = '/';
  if (ignoreCase && !out['safeRegex']) out['caseSensitive'] = false;
  const headers: Obj[] = [];
  for (const [name, value] of Object.entries((match?.['headers'] as Obj | undefined) ?? {})) {
    const m = stringMatch(value as Obj);
    headers.push(m ? { name, stringMatch: m } : { name, presentMatch: true });
  }
  for (const [name, value] of Object.entries((match?.['withoutHeaders'] as Obj | undefined) ?? {})) {
    const m = stringMatch(value as Obj);
    headers.push({ name, ...(m ? { stringMatch: m } : { presentMatch: true }), invertMatch: true });
  }
  const method = match?.['method'] as Obj | undefined;
  if (method) headers.push({ name: ':method', stringMatch: stringMatch(method) });
  const authority = match?.['authority'] as Obj | undefined;
  if (authority) headers.push({ name: ':authority', stringMatch: stringMatch(authority) });
  const scheme = match?.['scheme'] as Obj | undefined;
  if (scheme) headers.push({ name: ':scheme', stringMatch: stringMatch(scheme) });
  if (headers.length > 0) out['headers'] = headers;
  const query: Obj[] = [];
  for (const [name, value] of Object.entries((match?.['queryParams'] as Obj | undefined) ?? {})) {
    const m = stringMatch(value as Obj);
    query.push(m ? { name, stringMatch: m } : { name, presentMatch: true });
  }
  if (query.length > 0) out['queryParameters'] = query;
  return out;
}

function headerOperations(headers: Obj | undefined, prefix: 'request' | 'response'): Obj {
  const ops = headers?.[prefix] as Obj | undefined;
  if (!ops) return {};
  const out: Obj = {};
  const add = [
    ...Object.entries((ops['set'] as Obj | undefined) ?? {}).map(([key, value]) => ({ header: { key, value: String(value) }, appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' })),
    ...Object.entries((ops['add'] as Obj | undefined) ?? {}).map(([key, value]) => ({ header: { key, value: String(value) }, appendAction: 'APPEND_IF_EXISTS_OR_ADD' })),
  ];
  if (add.length > 0) out[`${prefix}HeadersToAdd`] = add;
  if (Array.isArray(ops['remove']) && ops['remove'].length > 0) out[`${prefix}HeadersToRemove`] = ops['remove'];
  return out;
}

/** Istio's retry settings → Envoy's RetryPolicy; attempts: 0 turns retries off. */
export function retryPolicy(retries: Obj | undefined): Obj | undefined {
  if (!retries) return defaultRetryPolicy();
  const attempts = Number(retries['attempts'] ?? 2);
  if (attempts <= 0) return undefined;
  const policy = defaultRetryPolicy();
  policy['numRetries'] = attempts;
  if (retries['perTryTimeout']) policy['perTryTimeout'] = envoyDuration(retries['perTryTimeout']);
  if (retries['retryOn']) {
    // Numbers in retryOn are status codes to retry on.
    const parts = String(retries['retryOn']).split(',').map((p) => p.trim()).filter(Boolean);
    const codes = parts.filter((p) => /^\d+$/.test(p)).map(Number);
    const policies = parts.filter((p) => !/^\d+$/.test(p));
    if (codes.length > 0 && !policies.includes('retriable-status-codes')) policies.push('retriable-status-codes');
    policy['retryOn'] = policies.join(',');
    if (codes.length > 0) policy['retriableStatusCodes'] = codes;
    else delete policy['retriableStatusCodes'];
  }
  if (retries['retryRemoteLocalities'] === false) delete policy['retryHostPredicate'];
  return policy;
}

interface Destination {
  host: string;
  subset: string;
  port: number;
  weight: number;
}

/** An Istio Destination's host, subset and port: without a port, the service's only port, else the port the request came to. */
function destination(ctx: ProxyContext, dest: Obj, vsNamespace: string, defaultPort: number): Omit<Destination, 'weight'> {
  const host = ctx.resolve(String(dest['host'] ?? ''), vsNamespace);
  const service = ctx.services.find((s) => s.hostname === host);
  const port = dest['port']?.['number'] !== undefined ? Number(dest['port']['number']) : service && service.ports.length === 1 ? service.ports[0]!.port : defaultPort;
  return { host, subset: String(dest['subset'] ?? ''), port };
}

function destinations(ctx: ProxyContext, route: Obj, vsNamespace: string, defaultPort: number): Destination[] {
  return ((route['route'] as Obj[] | undefined) ?? []).map((d) => ({ ...destination(ctx, (d['destination'] as Obj) ?? {}, vsNamespace, defaultPort), weight: Number(d['weight'] ?? 0) }));
}

/**
 * Istio's mirroring as Envoy request_mirror_policies: `mirror` with `mirrorPercentage` (a
 * percentage over MILLION) or the older integer `mirrorPercent` (over HUNDRED), and the list
 * `mirrors` of {destination, percentage}. No percentage mirrors everything (100 over HUNDRED);
 * an explicit 0 mirrors nothing, so no policy is generated.
 */
export function mirrorPolicies(ctx: ProxyContext, http: Obj, vsNamespace: string, port: number): Obj[] {
  const policy = (dest: Obj, fraction: Obj): Obj => {
    const d = destination(ctx, dest, vsNamespace, port);
    // Istio marks the shadow's trace as not sampled.
    return { cluster: outboundClusterName(d.port, d.subset, d.host), runtimeFraction: { defaultValue: fraction }, traceSampled: false };
  };
  const fraction = (percentage: Obj | undefined, integer?: unknown): Obj | undefined => {
    if (percentage !== undefined) {
      // Converted as faults' percentages are (truncated, as Istio does).
      const converted = fractionalPercent(percentage);
      return converted['numerator'] > 0 ? converted : undefined;
    }
    if (integer !== undefined && integer !== null) {
      const value = Number(integer);
      return value > 0 ? { numerator: value, denominator: 'HUNDRED' } : undefined;
    }
    return { numerator: 100, denominator: 'HUNDRED' };
  };
  const out: Obj[] = [];
  const mirror = http['mirror'] as Obj | undefined;
  if (mirror) {
    const f = fraction(http['mirrorPercentage'] as Obj | undefined, http['mirrorPercent']);
    if (f) out.push(policy(mirror, f));
  }
  for (const m of (http['mirrors'] as Obj[] | undefined) ?? []) {
    const f = fraction(m['percentage'] as Obj | undefined);
    if (f && m['destination']) out.push(policy(m['destination'] as Obj, f));
  }
  return out;
}

/** The Envoy routes for one VirtualService on one port. */
export function virtualServiceRoutes(ctx: ProxyContext, vs: { name: string; namespace: string; spec: Obj }, port: number): Obj[] {
  const routes: Obj[] = [];
  for (const http of (vs.spec['http'] as Obj[] | undefined) ?? []) {
    const matches = ((http['match'] as Obj[] | undefined) ?? [undefined]).filter((m) => m?.['port'] === undefined || Number(m['port']) === port);
    if (matches.length === 0) continue;
    const action = httpAction(ctx, http, vs.namespace, port);
    matches.forEach((match) => {
      const name = http['name'] ? String(http['name']) : `${vs.namespace}/${vs.name}`;
      routes.push({
        name: match?.['name'] ? `${name}.${match['name']}` : name,
        match: routeMatch(match),
        ...action,
        // Which VirtualService made the route, as istioctl shows it.
        metadata: { filterMetadata: { istio: { config: `/apis/networking.istio.io/v1/namespaces/${vs.namespace}/virtual-service/${vs.name}` } } },
      });
    });
  }
  return routes;
}

function httpAction(ctx: ProxyContext, http: Obj, vsNamespace: string, port: number): Obj {
  const out: Obj = {};
  const redirect = http['redirect'] as Obj | undefined;
  const direct = http['directResponse'] as Obj | undefined;
  if (redirect) {
    const r: Obj = {};
    if (redirect['uri']) r['pathRedirect'] = String(redirect['uri']);
    if (redirect['authority']) r['hostRedirect'] = String(redirect['authority']);
    if (redirect['scheme']) r['schemeRedirect'] = String(redirect['scheme']);
    if (redirect['port']) r['portRedirect'] = Number(redirect['port']);
    const codes: Record<number, string> = { 301: 'MOVED_PERMANENTLY', 302: 'FOUND', 303: 'SEE_OTHER', 307: 'TEMPORARY_REDIRECT', 308: 'PERMANENT_REDIRECT' };
    r['responseCode'] = codes[Number(redirect['redirectCode'] ?? 301)] ?? 'MOVED_PERMANENTLY';
    out['redirect'] = r;
  } else if (direct) {
    out['directResponse'] = { status: Number(direct['status']), ...(direct['body']?.['string'] !== undefined ? { body: { inlineString: String(direct['body']['string']) } } : {}) };
  } else {
    const dests = destinations(ctx, http, vsNamespace, port);
    const action: Obj = {};
    if (dests.length === 1) action['cluster'] = outboundClusterName(dests[0]!.port, dests[0]!.subset, dests[0]!.host);
    else if (dests.length > 1) {
      action['weightedClusters'] = { clusters: dests.filter((d) => d.weight > 0).map((d) => ({ name: outboundClusterName(d.port, d.subset, d.host), weight: d.weight })) };
    }
    action['timeout'] = http['timeout'] ? envoyDuration(http['timeout']) : '0s';
    const retry = retryPolicy(http['retries'] as Obj | undefined);
    if (retry) action['retryPolicy'] = retry;
    const rewrite = http['rewrite'] as Obj | undefined;
    if (rewrite?.['uri'] !== undefined) action['prefixRewrite'] = String(rewrite['uri']);
    if (rewrite?.['authority'] !== undefined) action['hostRewriteLiteral'] = String(rewrite['authority']);
    const mirrors = mirrorPolicies(ctx, http, vsNamespace, port);
    if (mirrors.length > 0) action['requestMirrorPolicies'] = mirrors;
    const first = dests[0];
    if (first) {
      const service = ctx.services.find((s) => s.hostname === first.host);
      const rule = service ? ctx.destinationRule(service.hostname, service.namespace) : undefined;
      const hash = hashPolicy(policyForPort(rule?.spec['trafficPolicy'] as Obj | undefined, first.port));
      if (hash) action['hashPolicy'] = hash;
    }
    action['maxStreamDuration'] = { maxStreamDuration: '0s', grpcTimeoutHeaderMax: '0s' };
    out['route'] = action;
  }
  Object.assign(out, headerOperations(http['headers'] as Obj | undefined, 'request'), headerOperations(http['headers'] as Obj | undefined, 'response'));
  const fault = http['fault'] ? faultConfig(http['fault'] as Obj) : undefined;
  if (fault) out['typedPerFilterConfig'] = { 'envoy.filters.http.fault': fault };
  return out;
}
