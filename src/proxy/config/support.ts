// The fields the outrigger proxy implements, per message type. Any other field
// that is set to a non-default value is rejected when config is decoded, so a
// user never runs with behaviour silently missing. Extending the proxy means
// implementing a field and then listing it here.
import type { FieldPolicy } from './proto-json.js';

const ANY_FIELD = '*';

const supported: Record<string, readonly string[] | typeof ANY_FIELD> = {
  // Bootstrap
  'envoy.config.bootstrap.v3.Bootstrap': ['node', 'static_resources', 'dynamic_resources', 'admin'],
  'envoy.config.bootstrap.v3.Bootstrap.StaticResources': ['listeners', 'clusters', 'secrets'],
  // ADS only: CDS and LDS from the ADS stream, the stream over gRPC to a static cluster.
  'envoy.config.bootstrap.v3.Bootstrap.DynamicResources': ['ads_config', 'cds_config', 'lds_config'],
  'envoy.config.core.v3.ApiConfigSource': ['api_type', 'transport_api_version', 'grpc_services', 'set_node_on_first_message_only'],
  'envoy.config.core.v3.GrpcService': ['envoy_grpc'],
  'envoy.config.core.v3.GrpcService.EnvoyGrpc': ['cluster_name'],
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
  // extra_source_addresses: one source per family (Istio's dual-stack ::6 next to 127.0.0.6).
  'envoy.config.core.v3.BindConfig': ['source_address', 'extra_source_addresses'],
  'envoy.config.core.v3.ExtraSourceAddress': ['address'],

  // Listeners
  'envoy.config.listener.v3.Listener': [
    'name', 'address', 'stat_prefix', 'filter_chains', 'default_filter_chain', 'use_original_dst',
    'listener_filters', 'listener_filters_timeout', 'continue_on_listener_filters_timeout', 'transparent',
    'bind_to_port', 'traffic_direction', 'metadata', 'drain_type', 'tcp_backlog_size', 'enable_reuse_port',
    'additional_addresses',
  ],
  'envoy.config.listener.v3.AdditionalAddress': ['address'],
  'envoy.config.listener.v3.FilterChain': ['filter_chain_match', 'filters', 'name', 'metadata', 'transport_socket'],
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
  'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy': ['stat_prefix', 'cluster', 'weighted_clusters', 'idle_timeout', 'max_connect_attempts', 'access_log', 'hash_policy'],
  'envoy.type.v3.HashPolicy': ['source_ip'],
  'envoy.type.v3.HashPolicy.SourceIp': [],

  // Access logs: file, stdout and stderr, text or JSON formats (no filters).
  'envoy.config.accesslog.v3.AccessLog': ['name', 'typed_config'],
  'envoy.extensions.access_loggers.file.v3.FileAccessLog': ['path', 'format', 'json_format', 'log_format'],
  'envoy.extensions.access_loggers.stream.v3.StdoutAccessLog': ['log_format'],
  'envoy.extensions.access_loggers.stream.v3.StderrAccessLog': ['log_format'],
  'envoy.config.core.v3.SubstitutionFormatString': ['text_format', 'json_format', 'text_format_source'],
  'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster': ['clusters'],
  'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster.ClusterWeight': ['name', 'weight'],

  // HTTP connection manager, routes and the router
  'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager': [
    'stat_prefix', 'codec_type', 'route_config', 'rds', 'http_filters', 'stream_idle_timeout', 'normalize_path', 'use_remote_address', 'skip_xff_append', 'generate_request_id',
    'preserve_external_request_id', 'always_set_request_id_in_response', 'max_request_headers_kb', 'request_headers_timeout',
    'request_timeout', 'server_name', 'server_header_transformation', 'strip_any_host_port', 'common_http_protocol_options', 'access_log',
    'upgrade_configs',
  ],
  // HTTP/1.1 upgrades through the connection manager's own filter chain; a separate chain (filters) is not implemented.
  'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.UpgradeConfig': ['upgrade_type', 'enabled'],
  'envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter': ['name', 'typed_config'],
  'envoy.extensions.filters.network.http_connection_manager.v3.Rds': ['config_source', 'route_config_name'],
  // Downstream (the connection manager's) and upstream (a cluster's HttpProtocolOptions) alike.
  'envoy.config.core.v3.HttpProtocolOptions': ['idle_timeout', 'max_requests_per_connection'],
  'envoy.extensions.filters.http.router.v3.Router': ['suppress_envoy_headers'],
  // The fault filter. The *_runtime keys only name runtime overrides, and without a runtime layer
  // the configured values apply (Envoy's behaviour with the keys unset); filter_metadata annotates.
  // upstream_cluster and response_rate_limit are not implemented.
  'envoy.extensions.filters.http.fault.v3.HTTPFault': [
    'delay', 'abort', 'headers', 'downstream_nodes', 'max_active_faults', 'disable_downstream_cluster_stats', 'filter_metadata',
    'delay_percent_runtime', 'abort_percent_runtime', 'delay_duration_runtime', 'abort_http_status_runtime', 'max_active_faults_runtime',
    'abort_grpc_status_runtime',
  ],
  'envoy.extensions.filters.http.fault.v3.FaultAbort': ['http_status', 'grpc_status', 'header_abort', 'percentage'],
  'envoy.extensions.filters.http.fault.v3.FaultAbort.HeaderAbort': [],
  'envoy.extensions.filters.common.fault.v3.FaultDelay': ['fixed_delay', 'header_delay', 'percentage'],
  'envoy.extensions.filters.common.fault.v3.FaultDelay.HeaderDelay': [],
  'envoy.type.v3.FractionalPercent': ['numerator', 'denominator'],
  'envoy.config.route.v3.RouteConfiguration': [
    'name', 'virtual_hosts', 'request_headers_to_add', 'request_headers_to_remove', 'response_headers_to_add',
    'response_headers_to_remove', 'ignore_port_in_host_matching', 'validate_clusters', 'typed_per_filter_config',
  ],
  'envoy.config.route.v3.VirtualHost': [
    'name', 'domains', 'routes', 'request_headers_to_add', 'request_headers_to_remove', 'response_headers_to_add',
    'response_headers_to_remove', 'include_request_attempt_count', 'include_attempt_count_in_response', 'retry_policy',
    'typed_per_filter_config', 'request_mirror_policies',
  ],
  'envoy.config.route.v3.Route': [
    'name', 'match', 'route', 'redirect', 'direct_response', 'request_headers_to_add', 'request_headers_to_remove',
    'response_headers_to_add', 'response_headers_to_remove', 'metadata', 'decorator', 'typed_per_filter_config',
  ],
  // A decorator only names the operation for tracing, which the proxy does not do.
  'envoy.config.route.v3.Decorator': ANY_FIELD,
  'envoy.config.route.v3.RouteMatch': ['prefix', 'path', 'safe_regex', 'path_separated_prefix', 'case_sensitive', 'headers', 'query_parameters'],
  'envoy.config.route.v3.RouteAction': ['cluster', 'weighted_clusters', 'prefix_rewrite', 'host_rewrite_literal', 'timeout', 'retry_policy', 'cluster_not_found_response_code', 'hash_policy', 'max_stream_duration', 'request_mirror_policies', 'upgrade_configs'],
  // connect_config (CONNECT tunnelling) is not implemented.
  'envoy.config.route.v3.RouteAction.UpgradeConfig': ['upgrade_type', 'enabled'],
  // trace_sampled only marks the shadow's trace, and the proxy does not trace.
  'envoy.config.route.v3.RouteAction.RequestMirrorPolicy': ['cluster', 'cluster_header', 'runtime_fraction', 'trace_sampled', 'disable_shadow_host_suffix_append'],
  // No runtime layer: a runtime_key is never set, so default_value applies (as in Envoy).
  'envoy.config.core.v3.RuntimeFractionalPercent': ['default_value', 'runtime_key'],
  'envoy.config.route.v3.RouteAction.HashPolicy': ['header', 'cookie', 'connection_properties', 'query_parameter', 'terminal'],
  'envoy.config.route.v3.RouteAction.HashPolicy.Header': ['header_name'],
  // A cookie with a ttl asks the proxy to set one when absent, which is not implemented.
  'envoy.config.route.v3.RouteAction.HashPolicy.Cookie': ['name', 'path'],
  'envoy.config.route.v3.RouteAction.HashPolicy.ConnectionProperties': ['source_ip'],
  'envoy.config.route.v3.RouteAction.HashPolicy.QueryParameter': ['name'],
  'envoy.config.route.v3.WeightedCluster': ['clusters'],
  'envoy.config.route.v3.WeightedCluster.ClusterWeight': ['name', 'weight'],
  'envoy.config.route.v3.RetryPolicy': [
    'retry_on', 'num_retries', 'per_try_timeout', 'retriable_status_codes', 'retry_host_predicate', 'host_selection_retry_max_attempts',
  ],
  'envoy.config.route.v3.RetryPolicy.RetryHostPredicate': ['name', 'typed_config'],
  'envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate': [],
  'envoy.config.route.v3.RouteAction.MaxStreamDuration': ['max_stream_duration', 'grpc_timeout_header_max', 'grpc_timeout_header_offset'],
  'envoy.config.route.v3.RedirectAction': ['https_redirect', 'scheme_redirect', 'host_redirect', 'port_redirect', 'path_redirect', 'prefix_rewrite', 'response_code', 'strip_query'],
  'envoy.config.route.v3.DirectResponseAction': ['status', 'body'],
  'envoy.config.core.v3.DataSource': ['filename', 'inline_bytes', 'inline_string'],
  'envoy.config.route.v3.HeaderMatcher': [
    'name', 'exact_match', 'safe_regex_match', 'range_match', 'present_match', 'prefix_match', 'suffix_match',
    'contains_match', 'string_match', 'invert_match', 'treat_missing_header_as_empty',
  ],
  'envoy.type.v3.Int64Range': ['start', 'end'],
  'envoy.config.route.v3.QueryParameterMatcher': ['name', 'string_match', 'present_match'],
  'envoy.type.matcher.v3.StringMatcher': ['exact', 'prefix', 'suffix', 'contains', 'safe_regex', 'ignore_case'],
  // google_re2 only picks the engine (the only one) and a deprecated size limit.
  'envoy.type.matcher.v3.RegexMatcher': ['regex', 'google_re2'],
  'envoy.type.matcher.v3.RegexMatcher.GoogleRE2': ANY_FIELD,
  'envoy.config.core.v3.HeaderValueOption': ['header', 'append', 'append_action', 'keep_empty_value'],
  'envoy.config.core.v3.HeaderValue': ['key', 'value'],

  // Clusters and endpoints
  'envoy.config.cluster.v3.Cluster': [
    'name', 'alt_stat_name', 'type', 'connect_timeout', 'lb_policy', 'load_assignment', 'eds_cluster_config',
    'upstream_bind_config', 'metadata', 'dns_lookup_family', 'dns_refresh_rate',
    'cleanup_interval', 'least_request_lb_config', 'circuit_breakers', 'outlier_detection',
    'http2_protocol_options', 'typed_extension_protocol_options', 'ring_hash_lb_config', 'max_requests_per_connection',
    'maglev_lb_config', 'transport_socket', 'transport_socket_matches',
  ],
  'envoy.config.cluster.v3.Cluster.TransportSocketMatch': ['name', 'match', 'transport_socket'],
  // hash_function is not listed: XX_HASH, its default, passes; MURMUR_HASH_2 is rejected.
  'envoy.config.cluster.v3.Cluster.RingHashLbConfig': ['minimum_ring_size', 'maximum_ring_size'],
  'envoy.config.cluster.v3.Cluster.MaglevLbConfig': ['table_size'],
  // Which HTTP version to speak upstream, and how long pooled connections live; the protocols' tuning knobs are not implemented.
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': ['explicit_http_config', 'use_downstream_protocol_config', 'common_http_protocol_options'],
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions.ExplicitHttpConfig': ['http_protocol_options', 'http2_protocol_options'],
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions.UseDownstreamHttpConfig': ['http_protocol_options', 'http2_protocol_options'],
  'envoy.config.core.v3.Http1ProtocolOptions': [],
  'envoy.config.core.v3.Http2ProtocolOptions': [],
  'envoy.config.cluster.v3.CircuitBreakers': ['thresholds'],
  // track_remaining only adds remaining_* gauges; traffic is the same.
  'envoy.config.cluster.v3.CircuitBreakers.Thresholds': ['priority', 'max_connections', 'max_pending_requests', 'max_requests', 'max_retries', 'track_remaining'],
  'envoy.config.cluster.v3.OutlierDetection': [
    'consecutive_5xx', 'consecutive_gateway_failure', 'interval', 'base_ejection_time', 'max_ejection_time', 'max_ejection_percent',
    'enforcing_consecutive_5xx', 'enforcing_consecutive_gateway_failure', 'enforcing_success_rate', 'always_eject_one_host',
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

  // Transport sockets: TLS and mTLS (transport-sockets/), static SDS secrets only.
  'envoy.config.core.v3.TransportSocket': ['name', 'typed_config'],
  'envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer': [],
  'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext': ['common_tls_context', 'sni'],
  'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext': ['common_tls_context', 'require_client_certificate'],
  'envoy.extensions.transport_sockets.tls.v3.CommonTlsContext': [
    'tls_params', 'tls_certificates', 'tls_certificate_sds_secret_configs', 'validation_context',
    'validation_context_sds_secret_config', 'combined_validation_context', 'alpn_protocols',
  ],
  'envoy.extensions.transport_sockets.tls.v3.CommonTlsContext.CombinedCertificateValidationContext': ['default_validation_context', 'validation_context_sds_secret_config'],
  'envoy.extensions.transport_sockets.tls.v3.TlsParameters': ['tls_minimum_protocol_version', 'tls_maximum_protocol_version', 'cipher_suites'],
  'envoy.extensions.transport_sockets.tls.v3.TlsCertificate': ['certificate_chain', 'private_key'],
  'envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext': ['trusted_ca', 'match_typed_subject_alt_names', 'match_subject_alt_names'],
  'envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher': ['san_type', 'matcher'],
  // sds_config (dynamic SDS) is refused in code, naming the field.
  'envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig': ['name', 'sds_config'],
  'envoy.extensions.transport_sockets.tls.v3.Secret': ['name', 'tls_certificate', 'validation_context'],
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
