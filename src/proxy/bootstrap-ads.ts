// dynamic_resources.ads_config: the proxy dials the control plane itself, as Envoy
// does when its bootstrap names an ADS gRPC service, and gets its clusters and
// listeners (and the routes and endpoints they name) over one ADS stream. The
// xDS client is loaded only when a bootstrap asks for it.
import { ConfigError } from './config/errors.js';
import type { ProxyServer } from './server.js';

export interface BootstrapAds {
  stop(): void;
}

/** host:port of the gRPC service's cluster (its first endpoint), as the ADS client dials it. */
export function adsTarget(server: ProxyServer): string | undefined {
  const ads = server.bootstrap.dynamic_resources?.ads_config;
  if (!ads) return undefined;
  const where = 'dynamic_resources.ads_config';
  if (ads.api_type !== 'GRPC') throw new ConfigError(`api_type ${ads.api_type ?? '(unset)'} is not supported: the proxy speaks ADS over GRPC`, `${where}.api_type`);
  const clusterName = ads.grpc_services?.[0]?.envoy_grpc?.cluster_name;
  if (!clusterName) throw new ConfigError('grpc_services[0].envoy_grpc.cluster_name is required', `${where}.grpc_services`);
  const cluster = server.bootstrap.static_resources?.clusters?.find((c) => c.name === clusterName);
  if (!cluster) throw new ConfigError(`cluster "${clusterName}" is not a static cluster of the bootstrap`, `${where}.grpc_services[0].envoy_grpc.cluster_name`);
  const socket = cluster.load_assignment?.endpoints?.[0]?.lb_endpoints?.[0]?.endpoint?.address?.socket_address;
  if (!socket?.address || !socket.port_value) throw new ConfigError(`cluster "${clusterName}" has no endpoint address`, `static_resources.clusters("${clusterName}").load_assignment`);
  return socket.address.includes(':') ? `[${socket.address}]:${socket.port_value}` : `${socket.address}:${socket.port_value}`;
}

export async function startBootstrapAds(server: ProxyServer): Promise<BootstrapAds | undefined> {
  const address = adsTarget(server);
  if (!address) return undefined;
  const { connectAds } = await import('./ads-apply.js');
  const node = server.bootstrap.node ?? {};
  const { client } = connectAds(server, { address, node: { id: String(node.id ?? ''), cluster: String(node.cluster ?? ''), metadata: (node.metadata ?? {}) as never } });
  return { stop: () => client.stop() };
}
