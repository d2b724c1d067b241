// Envoy's v3 protos for the proxy: the one reflection root of the process (loaded
// by the xDS library, src/xds/protos.ts), so that a resource decoded from a
// bootstrap and one received over ADS are read against the same schemas.
import protobuf from 'protobufjs';
import { TYPE_URL_PREFIX, xdsProtoFiles, xdsRoot } from '../../xds/protos.js';

export { TYPE_URL_PREFIX };

/** The proto files whose types a bootstrap, an xDS resource or a typed_config may hold. */
export const protoFiles: readonly string[] = xdsProtoFiles;

/** Type URLs of the resources the proxy exchanges (xDS, config_dump). */
export const typeUrls = {
  bootstrap: `${TYPE_URL_PREFIX}envoy.config.bootstrap.v3.Bootstrap`,
  listener: `${TYPE_URL_PREFIX}envoy.config.listener.v3.Listener`,
  cluster: `${TYPE_URL_PREFIX}envoy.config.cluster.v3.Cluster`,
  clusterLoadAssignment: `${TYPE_URL_PREFIX}envoy.config.endpoint.v3.ClusterLoadAssignment`,
  routeConfiguration: `${TYPE_URL_PREFIX}envoy.config.route.v3.RouteConfiguration`,
  tcpProxy: `${TYPE_URL_PREFIX}envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy`,
  httpConnectionManager: `${TYPE_URL_PREFIX}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`,
  router: `${TYPE_URL_PREFIX}envoy.extensions.filters.http.router.v3.Router`,
  fault: `${TYPE_URL_PREFIX}envoy.extensions.filters.http.fault.v3.HTTPFault`,
  originalDst: `${TYPE_URL_PREFIX}envoy.extensions.filters.listener.original_dst.v3.OriginalDst`,
  tlsInspector: `${TYPE_URL_PREFIX}envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector`,
  httpInspector: `${TYPE_URL_PREFIX}envoy.extensions.filters.listener.http_inspector.v3.HttpInspector`,
  upstreamTlsContext: `${TYPE_URL_PREFIX}envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext`,
  downstreamTlsContext: `${TYPE_URL_PREFIX}envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext`,
} as const;

/**
 * Types only the proxy reads (transport socket configs), added to the shared root on first use
 * so that a bootstrap, an xDS resource and a typed_config Any all resolve them.
 */
const proxyOnlyProtoFiles = [
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/transport_sockets/raw_buffer/v3/raw_buffer.proto',
];
let extended = false;

/** The shared reflection root (loaded on first use, ~200 ms). Field names keep the proto's snake_case. */
export function envoyRoot(): protobuf.Root {
  const root = xdsRoot();
  if (!extended) {
    extended = true;
    root.loadSync(proxyOnlyProtoFiles, { keepCase: true });
    root.resolveAll();
  }
  return root;
}

/** The message type for a fully-qualified name or a type URL; undefined when not loaded. */
export function lookupMessage(nameOrUrl: string): protobuf.Type | undefined {
  const name = nameOrUrl.startsWith(TYPE_URL_PREFIX) ? nameOrUrl.slice(TYPE_URL_PREFIX.length) : nameOrUrl;
  try {
    const found = envoyRoot().lookup(name);
    return found instanceof protobuf.Type ? found : undefined;
  } catch {
    return undefined;
  }
}
