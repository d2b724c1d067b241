// The decoded Envoy v3 resources the proxy reads, in their canonical JSON form
// (snake_case names, enums as names, Durations as "1s" strings). Only the fields
// the proxy implements are typed; config/support.ts rejects the others.
import type { JsonObject } from './proto-json.js';
import type { SecretConfig, TransportSocketConfig } from '../transport-sockets/tls-types.js';

export type Duration = string;

export interface SocketAddress {
  protocol?: 'TCP' | 'UDP';
  address: string;
  port_value?: number;
  ipv4_compat?: boolean;
}

export interface Address {
  socket_address?: SocketAddress;
}

export interface CidrRange {
  address_prefix: string;
  prefix_len?: number;
}

export interface TypedExtension {
  name: string;
  typed_config?: JsonObject & { '@type': string };
}

export interface FilterChainMatch {
  destination_port?: number;
  prefix_ranges?: CidrRange[];
  server_names?: string[];
  transport_protocol?: string;
  application_protocols?: string[];
  direct_source_prefix_ranges?: CidrRange[];
  source_type?: 'ANY' | 'SAME_IP_OR_LOOPBACK' | 'EXTERNAL';
  source_prefix_ranges?: CidrRange[];
  source_ports?: number[];
}

export interface FilterChain {
  name?: string;
  filter_chain_match?: FilterChainMatch;
  filters?: TypedExtension[];
  metadata?: JsonObject;
  transport_socket?: TransportSocketConfig;
}

export interface Listener {
  name: string;
  address?: Address;
  /** envoy.config.listener.v3.AdditionalAddress: more addresses with the same filter chains. */
  additional_addresses?: { address?: Address }[];
  stat_prefix?: string;
  filter_chains?: FilterChain[];
  default_filter_chain?: FilterChain;
  use_original_dst?: boolean;
  listener_filters?: TypedExtension[];
  listener_filters_timeout?: Duration;
  continue_on_listener_filters_timeout?: boolean;
  transparent?: boolean;
  bind_to_port?: boolean;
  traffic_direction?: 'UNSPECIFIED' | 'INBOUND' | 'OUTBOUND';
  drain_type?: 'DEFAULT' | 'MODIFY_ONLY';
  tcp_backlog_size?: number;
  metadata?: JsonObject;
}

export type HealthStatus = 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY' | 'DRAINING' | 'TIMEOUT' | 'DEGRADED';

export interface LbEndpoint {
  endpoint?: { address?: Address; hostname?: string };
  health_status?: HealthStatus;
  load_balancing_weight?: number;
  metadata?: JsonObject;
}

export interface LocalityLbEndpoints {
  locality?: { region?: string; zone?: string; sub_zone?: string };
  lb_endpoints?: LbEndpoint[];
  load_balancing_weight?: number;
  priority?: number;
}

export interface ClusterLoadAssignment {
  cluster_name: string;
  endpoints?: LocalityLbEndpoints[];
}

export type DiscoveryType = 'STATIC' | 'STRICT_DNS' | 'LOGICAL_DNS' | 'EDS' | 'ORIGINAL_DST';
export type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RING_HASH' | 'RANDOM' | 'MAGLEV' | 'CLUSTER_PROVIDED' | 'LOAD_BALANCING_POLICY_CONFIG';

export interface Cluster {
  name: string;
  alt_stat_name?: string;
  type?: DiscoveryType;
  connect_timeout?: Duration;
  lb_policy?: LbPolicy;
  load_assignment?: ClusterLoadAssignment;
  eds_cluster_config?: { eds_config?: JsonObject; service_name?: string };
  upstream_bind_config?: { source_address?: SocketAddress; extra_source_addresses?: { address?: SocketAddress }[] };
  dns_lookup_family?: 'AUTO' | 'V4_ONLY' | 'V6_ONLY' | 'V4_PREFERRED' | 'ALL';
  dns_refresh_rate?: Duration;
  cleanup_interval?: Duration;
  least_request_lb_config?: { choice_count?: number };
  ring_hash_lb_config?: { minimum_ring_size?: number; maximum_ring_size?: number };
  maglev_lb_config?: { table_size?: number };
  circuit_breakers?: { thresholds?: JsonObject[] };
  http2_protocol_options?: JsonObject;
  typed_extension_protocol_options?: Record<string, JsonObject>;
  /** Deprecated in Envoy for common_http_protocol_options.max_requests_per_connection, still honoured. */
  max_requests_per_connection?: number;
  outlier_detection?: JsonObject;
  metadata?: JsonObject;
  transport_socket?: TransportSocketConfig;
  transport_socket_matches?: { name: string; match?: JsonObject; transport_socket?: TransportSocketConfig }[];
}

export interface Admin {
  address?: Address;
}

export interface Bootstrap {
  node?: { id?: string; cluster?: string; metadata?: JsonObject } & JsonObject;
  admin?: Admin;
  static_resources?: { listeners?: Listener[]; clusters?: Cluster[]; secrets?: SecretConfig[] };
  dynamic_resources?: {
    ads_config?: { api_type?: string; transport_api_version?: string; grpc_services?: { envoy_grpc?: { cluster_name?: string } }[]; set_node_on_first_message_only?: boolean };
    cds_config?: JsonObject;
    lds_config?: JsonObject;
  };
}

export interface TcpProxyConfig {
  stat_prefix: string;
  cluster?: string;
  weighted_clusters?: { clusters: { name: string; weight?: number }[] };
  idle_timeout?: Duration;
  max_connect_attempts?: number;
  access_log?: TypedExtension[];
  hash_policy?: { source_ip?: object }[];
}
