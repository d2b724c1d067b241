// RouteAction.request_mirror_policies (Istio's VirtualService mirror): a copy of
// the request goes to another cluster, fire and forget. The shadow's authority
// gets "-shadow" appended to the host so the mirror can tell copies from real
// traffic; its response is drained and dropped, and nothing about it (failure,
// slowness) reaches the client's request.
import { ConfigError } from '../config/errors.js';
import type { Random } from '../load-balancers/index.js';
import type { ClusterManager } from '../upstream/cluster-manager.js';
import { ALWAYS, compileFractionalPercent, fractionSelected } from './fractional-percent.js';
import type { FractionalPercent, FractionalPercentConfig } from './fractional-percent.js';
import type { Headers } from './header-mutation.js';
import { attempt } from './upstream-request.js';

export interface RequestMirrorPolicyConfig {
  cluster?: string;
  cluster_header?: string;
  /** runtime_key names a runtime override; the proxy has no runtime layer, so default_value always applies (as in Envoy with the key unset). */
  runtime_fraction?: { default_value?: FractionalPercentConfig; runtime_key?: string };
  /** Only marks the shadow's trace as sampled; the proxy does not trace. */
  trace_sampled?: boolean;
  disable_shadow_host_suffix_append?: boolean;
}

export interface MirrorPolicy {
  /** The mirror cluster, or the request header that names it. */
  cluster: { name: string } | { header: string };
  fraction: FractionalPercent;
  appendShadowSuffix: boolean;
}

export const NO_MIRRORS: readonly MirrorPolicy[] = [];

export function compileMirrorPolicies(configs: readonly RequestMirrorPolicyConfig[] | undefined, path: string): readonly MirrorPolicy[] {
  if (!configs || configs.length === 0) return NO_MIRRORS;
  return configs.map((c, i) => {
    const where = `${path}[${i}]`;
    const cluster = c.cluster ? { name: c.cluster } : c.cluster_header ? { header: c.cluster_header.toLowerCase() } : undefined;
    if (!cluster) throw new ConfigError('a request mirror policy needs cluster or cluster_header', where);
    // Without runtime_fraction every request is mirrored.
    return { cluster, fraction: compileFractionalPercent(c.runtime_fraction?.default_value, ALWAYS), appendShadowSuffix: c.disable_shadow_host_suffix_append !== true };
  });
}

/** "ratings:9080" → "ratings-shadow:9080": the suffix goes on the host, before any port. */
export function shadowHost(authority: string): string {
  const colon = authority.lastIndexOf(':');
  const hasPort = colon > 0 && authority.indexOf(']', colon) < 0 && /^\d+$/.test(authority.slice(colon + 1));
  return hasPort ? `${authority.slice(0, colon)}-shadow${authority.slice(colon)}` : `${authority}-shadow`;
}

/** The policies this request is mirrored by (each draws against its own fraction). */
export function selectMirrors(policies: readonly MirrorPolicy[], random: Random): readonly MirrorPolicy[] {
  if (policies.length === 1) return fractionSelected(policies[0]!.fraction, random) ? policies : NO_MIRRORS;
  return policies.filter((p) => fractionSelected(p.fraction, random));
}

export interface ShadowRequest {
  method: string;
  path: string;
  /** The request as it goes upstream (after the route's header changes); copied, never changed. */
  headers: Headers;
  body: Buffer;
  /** The route timeout; 0 is none. */
  timeoutMs: number;
  downstreamProtocol: 'http1' | 'http2';
  downstreamLocalAddress?: { address: string; port: number };
}

/** Sends one shadow and forgets it: a missing cluster, no healthy host or an overflow skips it silently, as Envoy does. */
export function sendShadow(policy: MirrorPolicy, request: ShadowRequest, clusterManager: ClusterManager): void {
  const name = 'name' in policy.cluster ? policy.cluster.name : headerValue(request.headers[policy.cluster.header]);
  const cluster = name ? clusterManager.get(name) : undefined;
  if (!cluster || !cluster.circuitBreakers.canRequest(cluster.stats.upstream_rq_active.value)) return;
  const host = cluster.chooseHost(request.downstreamLocalAddress ? { downstreamLocalAddress: request.downstreamLocalAddress } : {});
  if (!host) return;
  const headers: Headers = { ...request.headers };
  const authority = headerValue(headers['host']);
  if (policy.appendShadowSuffix && authority) headers['host'] = shadowHost(authority);
  const protocol = cluster.httpProtocol === 'downstream' ? request.downstreamProtocol : cluster.httpProtocol;
  const shadow = attempt({ cluster, host, method: request.method, path: request.path, headers, body: request.body, perTryTimeoutMs: 0, protocol });
  const timer = request.timeoutMs > 0
    ? setTimeout(() => {
      cluster.stats.upstream_rq_timeout.inc();
      shadow.abort();
    }, request.timeoutMs)
    : undefined;
  void shadow.result.then((result) => {
    cluster.reportOutcome(host, result.kind === 'response' ? { kind: 'http', status: result.response.status } : { kind: 'local-failure' });
    if (result.kind !== 'response') {
      if (timer) clearTimeout(timer);
      return;
    }
    const { status, body } = result.response;
    const c = Math.floor(status / 100);
    if (c >= 1 && c <= 5) cluster.stats.upstream_rq_class[c - 1]!.inc();
    cluster.stats.upstream_rq_completed.inc();
    body.once('close', () => timer && clearTimeout(timer));
    body.once('end', () => timer && clearTimeout(timer));
    body.on('error', () => undefined);
    body.resume();
  });
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
