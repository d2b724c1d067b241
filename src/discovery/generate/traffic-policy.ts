// DestinationRule traffic policies as Envoy cluster settings: load balancer,
// connection pool (circuit breakers, timeouts) and outlier detection, with
// port-level and subset-level overrides, as Istio applies them.
import { envoyDuration } from './duration.js';
type Obj = Record<string, any>;

export const MaxUint32 = 4294967295;

/** Istio's defaults: effectively unlimited thresholds, tracked. */
export function defaultCircuitBreakers(): Obj {
  return { thresholds: [{ maxConnections: MaxUint32, maxPendingRequests: MaxUint32, maxRequests: MaxUint32, maxRetries: MaxUint32, trackRemaining: true }] };
}

/** The policy that applies to a port: the port-level setting replaces the top-level one, field by field. */
export function policyForPort(policy: Obj | undefined, port: number): Obj | undefined {
  if (!policy) return undefined;
  const portLevel = ((policy['portLevelSettings'] as Obj[] | undefined) ?? []).find((p) => Number(p['port']?.['number']) === port);
  if (!portLevel) return policy;
  const merged: Obj = { ...policy };
  for (const key of ['loadBalancer', 'connectionPool', 'outlierDetection', 'tls']) if (portLevel[key] !== undefined) merged[key] = portLevel[key];
  return merged;
}

/** A subset's own policy overrides the rule's, field by field. */
export function mergeSubsetPolicy(rulePolicy: Obj | undefined, subsetPolicy: Obj | undefined): Obj | undefined {
  if (!subsetPolicy) return rulePolicy;
  return { ...(rulePolicy ?? {}), ...subsetPolicy };
}

const lbPolicies: Record<string, string> = {
  ROUND_ROBIN: 'ROUND_ROBIN',
  LEAST_REQUEST: 'LEAST_REQUEST',
  LEAST_CONN: 'LEAST_REQUEST',
  RANDOM: 'RANDOM',
  PASSTHROUGH: 'CLUSTER_PROVIDED',
  UNSPECIFIED: 'LEAST_REQUEST',
};

/** Applies a traffic policy to an outbound cluster (mutates the given new object). */
export function applyTrafficPolicy(cluster: Obj, policy: Obj | undefined): void {
  cluster['lbPolicy'] = 'LEAST_REQUEST';
  if (!policy) return;
  const lb = policy['loadBalancer'] as Obj | undefined;
  if (lb?.['simple']) {
    const chosen = lbPolicies[String(lb['simple'])];
    if (chosen) cluster['lbPolicy'] = chosen;
    if (lb['simple'] === 'PASSTHROUGH') {
      cluster['type'] = 'ORIGINAL_DST';
      delete cluster['edsClusterConfig'];
    }
  } else if (lb?.['consistentHash']) {
    const hash = lb['consistentHash'] as Obj;
    cluster['lbPolicy'] = hash['maglev'] ? 'MAGLEV' : 'RING_HASH';
    if (cluster['lbPolicy'] === 'RING_HASH') {
      const ring = hash['ringHash'] as Obj | undefined;
      cluster['ringHashLbConfig'] = { minimumRingSize: String(ring?.['minimumRingSize'] ?? hash['minimumRingSize'] ?? 1024) };
    } else {
      // As Istio: the table size only when one is given (Envoy's default is 65537); Istio's
      // validation requires a prime, and so does the proxy.
      const tableSize = Number((hash['maglev'] as Obj)['tableSize'] ?? 0);
      if (tableSize > 0) cluster['maglevLbConfig'] = { tableSize: String(tableSize) };
    }
  }
  const pool = policy['connectionPool'] as Obj | undefined;
  if (pool) {
    const threshold = (cluster['circuitBreakers'] as Obj)['thresholds'][0] as Obj;
    const tcp = pool['tcp'] as Obj | undefined;
    const http = pool['http'] as Obj | undefined;
    if (tcp?.['maxConnections'] !== undefined) threshold['maxConnections'] = Number(tcp['maxConnections']);
    if (tcp?.['connectTimeout'] !== undefined) cluster['connectTimeout'] = envoyDuration(tcp['connectTimeout']);
    if (http?.['http1MaxPendingRequests'] !== undefined) threshold['maxPendingRequests'] = Number(http['http1MaxPendingRequests']);
    if (http?.['http2MaxRequests'] !== undefined) threshold['maxRequests'] = Number(http['http2MaxRequests']);
    if (http?.['maxRetries'] !== undefined) threshold['maxRetries'] = Number(http['maxRetries']);
    const common: Obj = {};
    if (http?.['maxRequestsPerConnection'] !== undefined) common['maxRequestsPerConnection'] = Number(http['maxRequestsPerConnection']);
    if (http?.['idleTimeout'] !== undefined) common['idleTimeout'] = envoyDuration(http['idleTimeout']);
    if (Object.keys(common).length > 0) {
      const options = ((cluster['typedExtensionProtocolOptions'] ??= {}) as Obj);
      const key = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
      const existing = (options[key] as Obj | undefined) ?? { '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', useDownstreamProtocolConfig: { httpProtocolOptions: {}, http2ProtocolOptions: {} } };
      options[key] = { ...existing, commonHttpProtocolOptions: common };
    }
  }
  const outlier = policy['outlierDetection'] as Obj | undefined;
  if (outlier) {
    const out: Obj = {};
    const fiveXx = outlier['consecutive5xxErrors'] ?? outlier['consecutiveErrors'];
    if (fiveXx !== undefined) {
      out['consecutive5xx'] = Number(fiveXx);
      out['enforcingConsecutive5xx'] = Number(fiveXx) > 0 ? 100 : 0;
    } else {
      out['enforcingConsecutive5xx'] = 0;
    }
    if (outlier['consecutiveGatewayErrors'] !== undefined) {
      out['consecutiveGatewayFailure'] = Number(outlier['consecutiveGatewayErrors']);
      out['enforcingConsecutiveGatewayFailure'] = 100;
    } else {
      out['enforcingConsecutiveGatewayFailure'] = 0;
    }
    if (outlier['interval'] !== undefined) out['interval'] = envoyDuration(outlier['interval']);
    if (outlier['baseEjectionTime'] !== undefined) out['baseEjectionTime'] = envoyDuration(outlier['baseEjectionTime']);
    if (outlier['maxEjectionPercent'] !== undefined) out['maxEjectionPercent'] = Number(outlier['maxEjectionPercent']);
    // Istio turns success-rate ejection off.
    out['enforcingSuccessRate'] = 0;
    cluster['outlierDetection'] = out;
  }
}

/** The route hash policy a consistentHash load balancer needs, if any. */
export function hashPolicy(policy: Obj | undefined): Obj[] | undefined {
  const hash = (policy?.['loadBalancer'] as Obj | undefined)?.['consistentHash'] as Obj | undefined;
  if (!hash) return undefined;
  if (hash['httpHeaderName']) return [{ header: { headerName: String(hash['httpHeaderName']) } }];
  if (hash['httpCookie']) {
    const cookie = hash['httpCookie'] as Obj;
    return [{ cookie: { name: String(cookie['name']), ...(cookie['path'] ? { path: String(cookie['path']) } : {}), ...(cookie['ttl'] ? { ttl: String(cookie['ttl']) } : {}) } }];
  }
  if (hash['useSourceIp']) return [{ connectionProperties: { sourceIp: true } }];
  if (hash['httpQueryParameterName']) return [{ queryParameter: { name: String(hash['httpQueryParameterName']) } }];
  return undefined;
}
