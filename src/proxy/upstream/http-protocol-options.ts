// How a cluster's upstream HTTP connections behave, from
// typed_extension_protocol_options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]
// (or Envoy's older cluster fields): which protocol to speak, and how long a pooled
// connection lives (common_http_protocol_options idle_timeout and max_requests_per_connection).
import { ConfigError } from '../config/errors.js';
import { durationMs } from '../config/duration.js';
import type { Cluster as ClusterConfig } from '../config/types.js';

export const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** Envoy's default: a pooled connection idle for an hour is closed. */
export const DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS = 3_600_000;

export interface UpstreamHttpOptions {
  /** Explicit HTTP/1.1 or HTTP/2, or whatever the downstream spoke. */
  protocol: 'http1' | 'http2' | 'downstream';
  /** A connection is closed after carrying this many requests (0: no limit). */
  maxRequestsPerConnection: number;
  /** A pooled connection without requests for this long is closed (0: never). */
  idleTimeoutMs: number;
}

interface HttpProtocolOptionsConfig {
  explicit_http_config?: { http2_protocol_options?: object };
  use_downstream_protocol_config?: object;
  common_http_protocol_options?: { idle_timeout?: string; max_requests_per_connection?: number };
}

export function upstreamHttpOptions(config: ClusterConfig, path: string): UpstreamHttpOptions {
  const typed = config.typed_extension_protocol_options ?? {};
  for (const key of Object.keys(typed)) {
    if (key !== HTTP_PROTOCOL_OPTIONS) throw new ConfigError(`protocol options "${key}" are not supported by the outrigger proxy`, `${path}.typed_extension_protocol_options`);
  }
  const options = typed[HTTP_PROTOCOL_OPTIONS] as HttpProtocolOptionsConfig | undefined;
  // Envoy's two ways to say "speak HTTP/2 upstream": these options, or the older http2_protocol_options.
  const protocol = options?.use_downstream_protocol_config ? 'downstream' : options?.explicit_http_config?.http2_protocol_options || config.http2_protocol_options ? 'http2' : 'http1';
  const common = options?.common_http_protocol_options;
  // The cluster's own (deprecated) max_requests_per_connection applies when the typed options leave it unset.
  const maxRequestsPerConnection = common?.max_requests_per_connection ?? config.max_requests_per_connection ?? 0;
  return { protocol, maxRequestsPerConnection, idleTimeoutMs: durationMs(common?.idle_timeout, DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS) };
}
