// Who the sidecar is, from what the injector put in its environment (POD_NAME,
// POD_NAMESPACE, INSTANCE_IP, SERVICE_ACCOUNT, ISTIO_META_*, PROXY_CONFIG) and its
// flags, as pilot-agent reads them.
import { applyProxyConfig, defaultMeshConfig, isObject } from '../inject/mesh.js';
import type { JsonObject } from '../inject/mesh.js';

export class IdentityError extends Error {}

export interface SidecarIdentity {
  podName: string;
  namespace: string;
  ip: string;
  serviceAccount: string;
  domain: string;
  nodeId: string;
  /** Envoy node cluster: the app's name in its namespace. */
  cluster: string;
  metadata: JsonObject;
  proxyConfig: JsonObject;
}

export function sidecarIdentity(env: Readonly<Record<string, string | undefined>>, flags: { domain?: string } = {}): SidecarIdentity {
  const need = (name: string) => {
    const value = env[name];
    if (value === undefined || value === '') throw new IdentityError(`${name} is not set: the sidecar needs the pod's identity from its environment`);
    return value;
  };
  const podName = need('POD_NAME');
  const namespace = need('POD_NAMESPACE');
  const ip = need('INSTANCE_IP');
  const serviceAccount = env['SERVICE_ACCOUNT'] || 'default';
  // The injector writes --domain $(POD_NAMESPACE).svc.cluster.local; the kubelet expands it.
  const domain = (flags.domain ?? `${namespace}.svc.cluster.local`).replace('$(POD_NAMESPACE)', namespace);

  let proxyConfig = defaultMeshConfig()['defaultConfig'] as JsonObject;
  const proxyConfigText = env['PROXY_CONFIG'];
  if (proxyConfigText && proxyConfigText.trim() !== '') {
    try {
      proxyConfig = applyProxyConfig(proxyConfigText, { defaultConfig: proxyConfig });
    } catch (error) {
      throw new IdentityError(`PROXY_CONFIG: ${(error as Error).message}`);
    }
  }

  const metadata: JsonObject = {};
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith('ISTIO_META_') && value !== undefined) metadata[key.slice('ISTIO_META_'.length)] = value;
  }
  metadata['NAMESPACE'] = namespace;
  metadata['NAME'] = podName;
  metadata['INSTANCE_IPS'] = ip;
  metadata['SERVICE_ACCOUNT'] = serviceAccount;
  metadata['PROXY_CONFIG'] = proxyConfig;
  if (env['ISTIO_META_POD_PORTS']) {
    try {
      JSON.parse(env['ISTIO_META_POD_PORTS']);
    } catch {
      throw new IdentityError('ISTIO_META_POD_PORTS is not JSON');
    }
    metadata['POD_PORTS'] = env['ISTIO_META_POD_PORTS'];
  }
  const workload = String(metadata['WORKLOAD_NAME'] ?? podName);
  return {
    podName,
    namespace,
    ip,
    serviceAccount,
    domain,
    nodeId: `sidecar~${ip}~${podName}.${namespace}~${domain}`,
    cluster: `${workload}.${namespace}`,
    metadata,
    proxyConfig,
  };
}

/** host:port of the control plane from PROXY_CONFIG's discoveryAddress (or a flag). */
export function discoveryAddress(identity: SidecarIdentity, override?: string): { host: string; port: number } {
  const address = override ?? String(identity.proxyConfig['discoveryAddress'] ?? 'istiod.istio-system.svc:15012');
  const at = address.lastIndexOf(':');
  const port = Number(address.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) throw new IdentityError(`invalid discovery address "${address}": expected host:port`);
  return { host: address.slice(0, at).replace(/^\[|\]$/g, ''), port };
}

export function numberSetting(config: JsonObject, key: string, fallback: number): number {
  const value = config[key];
  return typeof value === 'number' ? value : isObject(value) && typeof value['value'] === 'number' ? value['value'] : fallback;
}
