// Envoy's v3 protos, loaded once per process. The .proto files ship with
// @grpc/grpc-js-xds under deps/; we use them as data (reflection), never as
// generated code, so that decoding follows the real schemas field by field.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';

/** The proto files whose types a bootstrap, an xDS resource or a typed_config may hold. */
export const protoFiles: readonly string[] = [
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/listener/original_dst/v3/original_dst.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  'envoy/extensions/filters/listener/http_inspector/v3/http_inspector.proto',
  'envoy/extensions/access_loggers/file/v3/file.proto',
  'envoy/extensions/access_loggers/stream/v3/stream.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/retry/host/previous_hosts/v3/previous_hosts.proto',
];

export const TYPE_URL_PREFIX = 'type.googleapis.com/';

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
  originalDst: `${TYPE_URL_PREFIX}envoy.extensions.filters.listener.original_dst.v3.OriginalDst`,
  tlsInspector: `${TYPE_URL_PREFIX}envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector`,
  httpInspector: `${TYPE_URL_PREFIX}envoy.extensions.filters.listener.http_inspector.v3.HttpInspector`,
} as const;

function includeDirs(): string[] {
  const require = createRequire(import.meta.url);
  const xds = path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  // descriptor.proto (imported by the validate and annotation protos) ships with protobufjs.
  const protobufjsDir = path.dirname(require.resolve('protobufjs/package.json'));
  return [protobufjsDir, ...['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => path.join(xds, d))];
}

let root: protobuf.Root | undefined;

/** The shared reflection root (loaded on first use, ~200 ms). Field names keep the proto's snake_case. */
export function envoyRoot(): protobuf.Root {
  if (root) return root;
  const dirs = includeDirs();
  const loaded = new protobuf.Root();
  loaded.resolvePath = (_origin, target) => {
    for (const dir of dirs) {
      const candidate = path.join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    // google/protobuf/{any,duration,...}.proto are built into protobufjs.
    return target;
  };
  loaded.loadSync([...protoFiles], { keepCase: true });
  loaded.resolveAll();
  root = loaded;
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
