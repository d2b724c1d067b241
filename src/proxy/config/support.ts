// The fields the outrigger proxy implements, per message type. Any other field
// that is set to a non-default value is rejected when config is decoded, so a
// user never runs with behaviour silently missing. Extending the proxy means
// implementing a field and then listing it here.
import type { FieldPolicy } from './proto-json.js';

const ANY_FIELD = '*';

const supported: Record<string, readonly string[] | typeof ANY_FIELD> = {
  // Bootstrap
  'envoy.config.bootstrap.v3.Bootstrap': ['node', 'static_resources', 'admin'],
  'envoy.config.bootstrap.v3.Bootstrap.StaticResources': ['listeners', 'clusters'],
  'envoy.config.bootstrap.v3.Admin': ['address'],
  // Identity and metadata only label the proxy; they never change traffic.
  'envoy.config.core.v3.Node': ANY_FIELD,
  'envoy.config.core.v3.Metadata': ANY_FIELD,
  'envoy.config.core.v3.Locality': ANY_FIELD,
  'envoy.config.core.v3.BuildVersion': ANY_FIELD,
  'envoy.config.core.v3.Extension': ANY_FIELD,
  'envoy.type.v3.SemanticVersion': ANY_FIELD,

  // Addresses
  'envoy.config.core.v3.Address': ['socket_address'],
  // protocol is not listed: TCP, its default, passes; UDP is rejected.
  'envoy.config.core.v3.SocketAddress': ['address', 'port_value', 'ipv4_compat'],
  'envoy.config.core.v3.CidrRange': ['address_prefix', 'prefix_len'],
  'envoy.config.core.v3.BindConfig': ['source_address'],

  // Listeners
  'envoy.config.listener.v3.Listener': [
    'name', 'address', 'stat_prefix', 'filter_chains', 'default_filter_chain', 'use_original_dst',
    'listener_filters', 'listener_filters_timeout', 'continue_on_listener_filters_timeout', 'transparent',
    'bind_to_port', 'traffic_direction', 'metadata', 'drain_type', 'tcp_backlog_size', 'enable_reuse_port',
  ],
  'envoy.config.listener.v3.FilterChain': ['filter_chain_match', 'filters', 'name', 'metadata'],
  'envoy.config.listener.v3.FilterChainMatch': [
    'destination_port', 'prefix_ranges', 'server_names', 'transport_protocol', 'application_protocols',
    'direct_source_prefix_ranges', 'source_type', 'source_prefix_ranges', 'source_ports',
  ],
  'envoy.config.listener.v3.Filter': ['name', 'typed_config'],
  'envoy.config.listener.v3.ListenerFilter': ['name', 'typed_config'],

  // Listener filters
  'envoy.extensions.filters.listener.original_dst.v3.OriginalDst': [],
  'envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector': ['initial_read_buffer_size'],
  'envoy.extensions.filters.listener.http_inspector.v3.HttpInspector': [],

  // Network filters
  'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy': ['stat_prefix', 'cluster', 'weighted_clusters', 'idle_timeout', 'max_connect_attempts'],
  'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster': ['clusters'],
  'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster.ClusterWeight': ['name', 'weight'],

  // Clusters and endpoints
  'envoy.config.cluster.v3.Cluster': [
    'name', 'alt_stat_name', 'type', 'connect_timeout', 'lb_policy', 'load_assignment', 'eds_cluster_config',
    'upstream_bind_config', 'metadata', 'dns_lookup_family', 'dns_refresh_rate',
    'cleanup_interval', 'least_request_lb_config',
  ],
  'envoy.config.cluster.v3.Cluster.EdsClusterConfig': ['eds_config', 'service_name'],
  'envoy.config.cluster.v3.Cluster.LeastRequestLbConfig': ['choice_count'],
  // Where EDS endpoints come from is the xDS client's business; the data plane only needs them.
  'envoy.config.core.v3.ConfigSource': ANY_FIELD,
  'envoy.config.core.v3.AggregatedConfigSource': ANY_FIELD,
  'envoy.config.core.v3.SelfConfigSource': ANY_FIELD,
  'envoy.config.endpoint.v3.ClusterLoadAssignment': ['cluster_name', 'endpoints'],
  'envoy.config.endpoint.v3.LocalityLbEndpoints': ['locality', 'lb_endpoints', 'load_balancing_weight', 'priority', 'metadata'],
  'envoy.config.endpoint.v3.LbEndpoint': ['endpoint', 'health_status', 'load_balancing_weight', 'metadata'],
  'envoy.config.endpoint.v3.Endpoint': ['address', 'hostname'],
};

/** Registers more supported fields (used as features land, e.g. by the HTTP connection manager). */
export function supportFields(typeName: string, fields: readonly string[] | '*'): void {
  const existing = supported[typeName];
  if (fields === ANY_FIELD || existing === ANY_FIELD) {
    supported[typeName] = ANY_FIELD;
    return;
  }
  supported[typeName] = [...new Set([...(existing ?? []), ...fields])];
}

export const proxyFieldPolicy: FieldPolicy = (typeName, fieldName) => {
  const fields = supported[typeName];
  if (fields === undefined) return false;
  return fields === ANY_FIELD || fields.includes(fieldName);
};
