// The proxy a configuration is generated for, from its Envoy node id
// ("sidecar~10.4.1.12~reviews-v1-545db77b95-jkgv2.default~default.svc.cluster.local")
// and node metadata, as Istio reads them.

export interface ProxyIdentity {
  type: 'sidecar' | 'router';
  ipAddresses: string[];
  /** "reviews-v1-545db77b95-jkgv2.default" */
  id: string;
  podName: string;
  namespace: string;
  /** "default.svc.cluster.local" */
  dnsDomain: string;
  labels: Record<string, string>;
  metadata: Record<string, unknown>;
}

export class ProxyIdError extends Error {}

export function parseNodeId(nodeId: string, metadata: Record<string, unknown> = {}): ProxyIdentity {
  const parts = nodeId.split('~');
  if (parts.length !== 4) throw new ProxyIdError(`invalid node id "${nodeId}": expected type~ip~id~domain`);
  const [type, ips, id, dnsDomain] = parts as [string, string, string, string];
  if (type !== 'sidecar' && type !== 'router') throw new ProxyIdError(`invalid node id "${nodeId}": unknown proxy type "${type}"`);
  if (ips === '') throw new ProxyIdError(`invalid node id "${nodeId}": no IP address`);
  const dot = id.lastIndexOf('.');
  const podName = dot > 0 ? id.slice(0, dot) : id;
  const namespace = (metadata['NAMESPACE'] as string | undefined) ?? (dot > 0 ? id.slice(dot + 1) : dnsDomain.split('.')[0] ?? 'default');
  const labels = (metadata['LABELS'] as Record<string, string> | undefined) ?? {};
  return { type, ipAddresses: instanceIps(metadata) ?? ips.split(','), id, podName, namespace, dnsDomain, labels, metadata };
}

/** INSTANCE_IPS ("10.4.1.5,fd00::5"), which Istio prefers to the node id's single IP when given. */
function instanceIps(metadata: Record<string, unknown>): string[] | undefined {
  const value = metadata['INSTANCE_IPS'];
  const ips = (Array.isArray(value) ? value.map(String) : typeof value === 'string' ? value.split(',') : []).map((ip) => ip.trim()).filter((ip) => ip !== '');
  return ips.length > 0 ? ips : undefined;
}

/**
 * A proxy with an IPv6 address gets Istio's dual-stack shapes: wildcard listeners on 0.0.0.0
 * with "::" as an additional address, and inbound clusters that can reach the app from ::6.
 */
export function isDualStack(proxy: ProxyIdentity): boolean {
  return proxy.ipAddresses.some((ip) => ip.includes(':'));
}

export function nodeId(identity: { ip: string; podName: string; namespace: string; domainSuffix?: string }): string {
  return `sidecar~${identity.ip}~${identity.podName}.${identity.namespace}~${identity.namespace}.svc.${identity.domainSuffix ?? 'cluster.local'}`;
}
