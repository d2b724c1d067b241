// The decoded shapes of Envoy's TLS transport socket messages
// (envoy.extensions.transport_sockets.tls.v3), as far as the proxy reads them.
import type { StringMatcherConfig } from '../http/string-match.js';

export interface DataSource {
  filename?: string;
  inline_bytes?: string;
  inline_string?: string;
}

export interface TlsCertificateConfig {
  certificate_chain?: DataSource;
  private_key?: DataSource;
}

export type SanType = 'SAN_TYPE_UNSPECIFIED' | 'EMAIL' | 'DNS' | 'URI' | 'IP_ADDRESS' | 'OTHER_NAME';

export interface SubjectAltNameMatcherConfig {
  san_type?: SanType;
  matcher?: StringMatcherConfig;
}

export interface ValidationContextConfig {
  trusted_ca?: DataSource;
  match_typed_subject_alt_names?: SubjectAltNameMatcherConfig[];
  /** Deprecated in Envoy, still what older Istio sends: a matcher against SANs of any type. */
  match_subject_alt_names?: StringMatcherConfig[];
}

export interface SdsSecretConfig {
  name?: string;
  sds_config?: object;
}

export type TlsVersion = 'TLS_AUTO' | 'TLSv1_0' | 'TLSv1_1' | 'TLSv1_2' | 'TLSv1_3';

export interface CommonTlsContextConfig {
  tls_params?: { tls_minimum_protocol_version?: TlsVersion; tls_maximum_protocol_version?: TlsVersion; cipher_suites?: string[] };
  tls_certificates?: TlsCertificateConfig[];
  tls_certificate_sds_secret_configs?: SdsSecretConfig[];
  validation_context?: ValidationContextConfig;
  validation_context_sds_secret_config?: SdsSecretConfig;
  combined_validation_context?: { default_validation_context?: ValidationContextConfig; validation_context_sds_secret_config?: SdsSecretConfig };
  alpn_protocols?: string[];
}

export interface UpstreamTlsContextConfig {
  common_tls_context?: CommonTlsContextConfig;
  sni?: string;
}

export interface DownstreamTlsContextConfig {
  common_tls_context?: CommonTlsContextConfig;
  require_client_certificate?: boolean;
}

export interface SecretConfig {
  name: string;
  tls_certificate?: TlsCertificateConfig;
  validation_context?: ValidationContextConfig;
}

export interface TransportSocketConfig {
  name: string;
  typed_config?: { '@type': string } & Record<string, unknown>;
}
