// The Envoy bootstrap the agent gives its proxy: the node (id and metadata the
// control plane keys on), the admin API on loopback, and ADS to the discovery
// address for everything else. Pure: identity in, bootstrap JSON (snake_case) out.
import type { SidecarIdentity } from './identity.js';
import { discoveryAddress, numberSetting } from './identity.js';

type Obj = Record<string, unknown>;

export const XdsClusterName = 'xds-grpc';

export function sidecarBootstrap(identity: SidecarIdentity, options: { discoveryAddress?: string } = {}): Obj {
  const xds = discoveryAddress(identity, options.discoveryAddress);
  const adminPort = numberSetting(identity.proxyConfig, 'proxyAdminPort', 15000);
  const ads = { ads: {}, resource_api_version: 'V3' };
  return {
    node: { id: identity.nodeId, cluster: identity.cluster, metadata: identity.metadata },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: adminPort } } },
    dynamic_resources: {
      ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: XdsClusterName } }], set_node_on_first_message_only: true },
      cds_config: ads,
      lds_config: ads,
    },
    static_resources: {
      clusters: [
        {
          name: XdsClusterName,
          type: /^[\d.]+$|:/.test(xds.host) ? 'STATIC' : 'STRICT_DNS',
          connect_timeout: '1s',
          load_assignment: { cluster_name: XdsClusterName, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: xds.host, port_value: xds.port } } } }] }] },
        },
      ],
    },
  };
}
