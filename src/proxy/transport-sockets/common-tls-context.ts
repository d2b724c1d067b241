// CommonTlsContext, shared by both directions, compiled once into what node:tls
// needs: a SecureContext (certificate, key, trusted CA, versions, ciphers), the
// ALPN list and the SAN check. Secrets named through SDS come from the static store.
import tls from 'node:tls';
import { ConfigError } from '../config/errors.js';
import { readDataSource } from './data-source.js';
import { compileSanMatchers } from './san-match.js';
import type { SanCheck } from './san-match.js';
import type { SecretStore } from './secrets.js';
import type { CommonTlsContextConfig, TlsCertificateConfig, TlsVersion, ValidationContextConfig } from './tls-types.js';

export interface CompiledTlsContext {
  secureContext: tls.SecureContext;
  /** A certificate of our own to present (required downstream, optional upstream). */
  hasCertificate: boolean;
  /** trusted_ca is set: the peer's chain is verified against it. */
  verifyPeer: boolean;
  sanCheck: SanCheck | undefined;
  alpn: string[];
}

const VERSIONS: Record<Exclude<TlsVersion, 'TLS_AUTO'>, tls.SecureVersion> = { TLSv1_0: 'TLSv1', TLSv1_1: 'TLSv1.1', TLSv1_2: 'TLSv1.2', TLSv1_3: 'TLSv1.3' };
// With only TLS 1.2 suites in `ciphers`, node would disable TLS 1.3; Envoy's cipher_suites never touch 1.3's.
const TLS13_SUITES = 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256';

export interface TlsDefaults {
  minVersion: tls.SecureVersion;
  maxVersion: tls.SecureVersion;
}

export function compileCommonTlsContext(config: CommonTlsContextConfig, secrets: SecretStore, defaults: TlsDefaults, path: string): CompiledTlsContext {
  const options: tls.SecureContextOptions = {};

  // Our certificate: inline, or one static SDS secret (Envoy allows one per key type; one is all we take).
  const certificates: [TlsCertificateConfig, string][] = (config.tls_certificates ?? []).map((c, i) => [c, `${path}.tls_certificates[${i}]`]);
  (config.tls_certificate_sds_secret_configs ?? []).forEach((ref, i) => {
    const where = `${path}.tls_certificate_sds_secret_configs[${i}]`;
    const secret = secrets.resolve(ref, where);
    if (!secret.tls_certificate) throw new ConfigError(`secret "${secret.name}" has no tls_certificate`, where);
    certificates.push([secret.tls_certificate, `static_resources.secrets("${secret.name}").tls_certificate`]);
  });
  if (certificates.length > 1) throw new ConfigError('more than one certificate is not supported by the outrigger proxy', `${path}.tls_certificates`);
  const [certificate] = certificates;
  if (certificate) {
    const [c, where] = certificate;
    if (!c.certificate_chain) throw new ConfigError('certificate_chain is required', `${where}.certificate_chain`);
    if (!c.private_key) throw new ConfigError('private_key is required', `${where}.private_key`);
    options.cert = readDataSource(c.certificate_chain, `${where}.certificate_chain`);
    options.key = readDataSource(c.private_key, `${where}.private_key`);
  }

  // Peer validation: inline, static SDS, or both combined (Istio's form: SANs inline, root CA by SDS).
  const validations: [ValidationContextConfig, string][] = [];
  if (config.validation_context) validations.push([config.validation_context, `${path}.validation_context`]);
  const combined = config.combined_validation_context;
  if (combined?.default_validation_context) validations.push([combined.default_validation_context, `${path}.combined_validation_context.default_validation_context`]);
  for (const [ref, where] of [
    [config.validation_context_sds_secret_config, `${path}.validation_context_sds_secret_config`],
    [combined?.validation_context_sds_secret_config, `${path}.combined_validation_context.validation_context_sds_secret_config`],
  ] as const) {
    if (!ref) continue;
    const secret = secrets.resolve(ref, where);
    if (!secret.validation_context) throw new ConfigError(`secret "${secret.name}" has no validation_context`, where);
    validations.push([secret.validation_context, `static_resources.secrets("${secret.name}").validation_context`]);
  }
  if (combined && !combined.validation_context_sds_secret_config) throw new ConfigError('validation_context_sds_secret_config is required', `${path}.combined_validation_context`);
  const trusted = validations.filter(([v]) => v.trusted_ca);
  if (trusted.length > 1) throw new ConfigError('trusted_ca is given more than once', trusted[1]![1]);
  if (trusted[0]) options.ca = readDataSource(trusted[0][0].trusted_ca!, `${trusted[0][1]}.trusted_ca`);
  const sanChecks = validations.map(([v, where]) => compileSanMatchers(v, where)).filter((c): c is SanCheck => c !== undefined);
  if (sanChecks.length > 0 && !options.ca) {
    // Envoy's rule too: matching the SANs of a certificate nobody verified proves nothing.
    throw new ConfigError('SAN matchers need a trusted_ca to verify the certificate against', validations[0]![1]);
  }
  const sanCheck: SanCheck | undefined = sanChecks.length === 0 ? undefined : (cert) => sanChecks.every((check) => check(cert));

  const params = config.tls_params ?? {};
  const version = (v: TlsVersion | undefined, fallback: tls.SecureVersion) => (v === undefined || v === 'TLS_AUTO' ? fallback : VERSIONS[v]);
  options.minVersion = version(params.tls_minimum_protocol_version, defaults.minVersion);
  options.maxVersion = version(params.tls_maximum_protocol_version, defaults.maxVersion);
  if (params.cipher_suites && params.cipher_suites.length > 0) {
    const bracketed = params.cipher_suites.find((s) => s.includes('['));
    if (bracketed) throw new ConfigError(`equal-preference cipher groups ("${bracketed}") are not supported by the outrigger proxy`, `${path}.tls_params.cipher_suites`);
    options.ciphers = [...params.cipher_suites, TLS13_SUITES].join(':');
  }

  let secureContext: tls.SecureContext;
  try {
    secureContext = tls.createSecureContext(options);
  } catch (error) {
    throw new ConfigError(`invalid TLS material: ${(error as Error).message}`, path);
  }
  return { secureContext, hasCertificate: certificate !== undefined, verifyPeer: options.ca !== undefined, sanCheck, alpn: config.alpn_protocols ?? [] };
}
