// Transport sockets by Envoy's names: envoy.transport_sockets.tls (TLS and
// mTLS) and envoy.transport_sockets.raw_buffer (plaintext, the default).
// Anything else is refused by name.
import { ConfigError } from '../config/errors.js';
import { TYPE_URL_PREFIX } from '../config/protos.js';
import type { StatsStore } from '../stats.js';
import { DownstreamTls } from './downstream-tls.js';
import type { SecretStore } from './secrets.js';
import { SslStats } from './ssl-stats.js';
import type { DownstreamTlsContextConfig, TransportSocketConfig, UpstreamTlsContextConfig } from './tls-types.js';
import { UpstreamTls } from './upstream-tls.js';

export { DownstreamTls } from './downstream-tls.js';
export { UpstreamTls, isTlsHandshakeError } from './upstream-tls.js';
export { SecretStore } from './secrets.js';
export { SslStats } from './ssl-stats.js';

const TLS_NAMES = ['envoy.transport_sockets.tls', 'tls'];
const RAW_NAMES = ['envoy.transport_sockets.raw_buffer', 'raw_buffer'];
const TLS_PACKAGE = `${TYPE_URL_PREFIX}envoy.extensions.transport_sockets.tls.v3.`;
const RAW_TYPE = `${TYPE_URL_PREFIX}envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer`;

/** The TLS context inside a transport_socket, or undefined for plaintext. */
function tlsContextOf<T>(socket: TransportSocketConfig | undefined, expected: 'UpstreamTlsContext' | 'DownstreamTlsContext', path: string): T | undefined {
  if (!socket) return undefined;
  const type = socket.typed_config?.['@type'];
  if (RAW_NAMES.includes(socket.name) && (type === undefined || type === RAW_TYPE)) return undefined;
  if (type === RAW_TYPE) return undefined;
  if (!TLS_NAMES.includes(socket.name) && !type?.startsWith(TLS_PACKAGE)) {
    throw new ConfigError(`transport socket "${socket.name}" is not supported by the outrigger proxy (envoy.transport_sockets.tls and envoy.transport_sockets.raw_buffer are)`, `${path}.name`);
  }
  if (type !== `${TLS_PACKAGE}${expected}`) {
    throw new ConfigError(`typed_config must be envoy.extensions.transport_sockets.tls.v3.${expected} here, not ${type ?? 'absent'}`, `${path}.typed_config`);
  }
  return socket.typed_config as unknown as T;
}

/** A cluster's transport_socket: its TLS origination, or undefined for plaintext. */
export function upstreamTransportSocket(socket: TransportSocketConfig | undefined, secrets: SecretStore, stats: StatsStore, statName: string, path: string): UpstreamTls | undefined {
  const config = tlsContextOf<UpstreamTlsContextConfig>(socket, 'UpstreamTlsContext', path);
  return config ? new UpstreamTls(config, secrets, new SslStats(stats.scope(`cluster.${statName}`, { name: 'envoy_cluster_name', value: statName, family: 'cluster' })), `${path}.typed_config`) : undefined;
}

/** A filter chain's transport_socket: its TLS termination, or undefined for plaintext. */
export function downstreamTransportSocket(socket: TransportSocketConfig | undefined, secrets: SecretStore, path: string): DownstreamTls | undefined {
  const config = tlsContextOf<DownstreamTlsContextConfig>(socket, 'DownstreamTlsContext', path);
  return config ? new DownstreamTls(config, secrets, `${path}.typed_config`) : undefined;
}
