// MeshConfig and ProxyConfig as Istio defaults them: the `mesh` key of the `istio`
// ConfigMap is merged onto the defaults, and a pod's proxy.istio.io/config
// annotation onto the mesh's defaultConfig. Plain JSON in the proto's JSON names.
import { parse as parseYaml } from 'yaml';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export class MeshConfigError extends Error {}

export function defaultProxyConfig(): JsonObject {
  return {
    configPath: './etc/istio/proxy',
    binaryPath: '/usr/local/bin/envoy',
    serviceCluster: 'istio-proxy',
    drainDuration: '45s',
    terminationDrainDuration: '5s',
    discoveryAddress: 'istiod.istio-system.svc:15012',
    proxyAdminPort: 15000,
    controlPlaneAuthPolicy: 'MUTUAL_TLS',
    statNameLength: 189,
    statusPort: 15020,
    tracing: { zipkin: { address: 'zipkin.istio-system:9411' } },
  };
}

export function defaultMeshConfig(): JsonObject {
  return {
    enableAutoMtls: true,
    enableTracing: true,
    accessLogFile: '',
    accessLogEncoding: 'TEXT',
    protocolDetectionTimeout: '0s',
    ingressService: 'istio-ingressgateway',
    ingressControllerMode: 'STRICT',
    ingressClass: 'istio',
    trustDomain: 'cluster.local',
    trustDomainAliases: [],
    enablePrometheusMerge: true,
    defaultServiceExportTo: ['*'],
    defaultVirtualServiceExportTo: ['*'],
    defaultDestinationRuleExportTo: ['*'],
    dnsRefreshRate: '60s',
    rootNamespace: 'istio-system',
    connectTimeout: '10s',
    outboundTrafficPolicy: { mode: 'ALLOW_ANY' },
    inboundTrafficPolicy: { mode: 'PASSTHROUGH' },
    localityLbSetting: { enabled: true },
    h2UpgradePolicy: 'DO_NOT_UPGRADE',
    proxyListenPort: 15001,
    proxyInboundListenPort: 15006,
    defaultProviders: {},
    extensionProviders: [
      { name: 'prometheus', prometheus: {} },
      { name: 'envoy', envoyFileAccessLog: { path: '/dev/stdout' } },
    ],
    defaultConfig: defaultProxyConfig(),
  };
}

/** ProxyConfig's fields (proto JSON names): anything else in an annotation is an error. */
export const proxyConfigFields = new Set([
  'configPath', 'binaryPath', 'serviceCluster', 'tracingServiceName', 'drainDuration', 'parentShutdownDuration',
  'discoveryAddress', 'discoveryRefreshDelay', 'zipkinAddress', 'statsdUdpAddress', 'envoyMetricsServiceAddress',
  'proxyAdminPort', 'availabilityZone', 'controlPlaneAuthPolicy', 'customConfigFile', 'statNameLength', 'concurrency',
  'proxyBootstrapTemplatePath', 'interceptionMode', 'tracing', 'sds', 'envoyAccessLogService', 'envoyMetricsService',
  'proxyMetadata', 'runtimeValues', 'statusPort', 'extraStatTags', 'gatewayTopology', 'terminationDrainDuration',
  'meshId', 'readinessProbe', 'proxyStatsMatcher', 'holdApplicationUntilProxyStarts', 'caCertificatesPem', 'image',
  'privateKeyProvider', 'proxyHeaders', 'fileFlushInterval', 'fileFlushMinSizeKb', 'outlierLogPath', 'caCertificatesPem',
]);

/** Enum fields of ProxyConfig and their values. */
export const proxyConfigEnums: Record<string, readonly string[]> = {
  interceptionMode: ['REDIRECT', 'TPROXY', 'NONE'],
  controlPlaneAuthPolicy: ['NONE', 'MUTUAL_TLS', 'INHERIT'],
  tracingServiceName: ['APP_LABEL_AND_NAMESPACE', 'CANONICAL_NAME_ONLY', 'CANONICAL_NAME_AND_NAMESPACE'],
};

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Proto-style merge: messages merge field by field, lists and scalars are replaced. */
export function mergeProto(base: JsonObject, overlay: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    const current = out[key];
    out[key] = isObject(current) && isObject(value) ? mergeProto(current, value) : structuredClone(value);
  }
  return out;
}

function parseDocument(text: string, what: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = parseYaml(text, { version: '1.1' });
  } catch (error) {
    throw new MeshConfigError(`${what}: ${(error as Error).message.split('\n')[0]}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isObject(parsed)) throw new MeshConfigError(`${what}: expected a map, got ${Array.isArray(parsed) ? 'a list' : typeof parsed}`);
  return parsed;
}

export function validateProxyConfig(config: JsonObject, what: string): void {
  for (const [key, value] of Object.entries(config)) {
    if (!proxyConfigFields.has(key)) throw new MeshConfigError(`${what}: unknown field "${key}" in ProxyConfig`);
    const allowed = proxyConfigEnums[key];
    if (allowed && (typeof value !== 'string' || !allowed.includes(value))) {
      throw new MeshConfigError(`${what}: invalid value ${JSON.stringify(value)} for ${key} (one of ${allowed.join(', ')})`);
    }
    if ((key === 'proxyMetadata' || key === 'runtimeValues') && value !== null && !isObject(value)) {
      throw new MeshConfigError(`${what}: ${key} must be a map of strings`);
    }
  }
}

/** The `mesh` key of the istio ConfigMap (YAML), merged onto the defaults. */
export function applyMeshConfig(yaml: string, base: JsonObject = defaultMeshConfig()): JsonObject {
  const overlay = parseDocument(yaml, 'mesh config');
  if (overlay['defaultConfig'] !== undefined) {
    if (!isObject(overlay['defaultConfig'])) throw new MeshConfigError('mesh config: defaultConfig must be a map');
    validateProxyConfig(overlay['defaultConfig'], 'mesh config defaultConfig');
  }
  return mergeProto(base, overlay);
}

/** A pod's proxy.istio.io/config annotation (YAML or JSON) merged onto the mesh's defaultConfig. */
export function applyProxyConfig(annotation: string, mesh: JsonObject): JsonObject {
  const overlay = parseDocument(annotation, 'proxy.istio.io/config');
  validateProxyConfig(overlay, 'proxy.istio.io/config');
  const base = isObject(mesh['defaultConfig']) ? mesh['defaultConfig'] : defaultProxyConfig();
  return mergeProto(base, overlay);
}
