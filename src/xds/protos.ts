// The Envoy v3 protos xDS carries, loaded once by reflection from the .proto files
// that ship with @grpc/grpc-js-xds (used as data, never as generated code).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';
import { packageRoot } from '../paths.js';

export const TYPE_URL_PREFIX = 'type.googleapis.com/';

/**
 * Every Envoy type Outrigger reads or writes: the bootstrap, the xDS resources and
 * service, and every typed_config the control plane generates or the proxy accepts.
 * One root for the whole process, shared by discovery, the xDS transport and the proxy.
 */
export const xdsProtoFiles: readonly string[] = [
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/service/discovery/v3/discovery.proto',
  'envoy/service/discovery/v3/ads.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/filters/listener/original_dst/v3/original_dst.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  'envoy/extensions/filters/listener/http_inspector/v3/http_inspector.proto',
  'envoy/extensions/access_loggers/file/v3/file.proto',
  'envoy/extensions/access_loggers/stream/v3/stream.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/retry/host/previous_hosts/v3/previous_hosts.proto',
  'istio/networking/nds/v1/nds.proto',
];

/** Where the .proto files are: the Envoy API, xds, googleapis, validate, and protobufjs' own google/protobuf. */
export function protoIncludeDirs(): string[] {
  const require = createRequire(import.meta.url);
  const deps = path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  const protobufjsDir = path.dirname(require.resolve('protobufjs/package.json'));
  // proto/ holds the few non-Envoy types Outrigger serves (Istio's NDS name table).
  return [protobufjsDir, ...['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => path.join(deps, d)), path.join(packageRoot, 'proto')];
}

let root: protobuf.Root | undefined;

/** The shared reflection root; field names keep the protos' snake_case. */
export function xdsRoot(): protobuf.Root {
  if (root) return root;
  const dirs = protoIncludeDirs();
  const loaded = new protobuf.Root();
  loaded.resolvePath = (_origin, target) => {
    for (const dir of dirs) {
      const candidate = path.join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    return target;
  };
  loaded.loadSync([...xdsProtoFiles], { keepCase: true });
  loaded.resolveAll();
  root = loaded;
  return root;
}

export function lookupType(nameOrUrl: string): protobuf.Type | undefined {
  const name = nameOrUrl.startsWith(TYPE_URL_PREFIX) ? nameOrUrl.slice(TYPE_URL_PREFIX.length) : nameOrUrl.replace(/^.*\//, '');
  try {
    const found = xdsRoot().lookup(name);
    return found instanceof protobuf.Type ? found : undefined;
  } catch {
    return undefined;
  }
}
