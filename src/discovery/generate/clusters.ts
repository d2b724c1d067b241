// CDS: outbound clusters per service port (and per DestinationRule subset),
// inbound clusters for the ports this proxy serves, and Istio's special clusters.
import { isHttp2 } from '../protocol.js';
import type { Service, ServicePort } from '../model.js';
import type { ProxyContext } from './context.js';
import { isDualStack } from '../proxy.js';
import { BlackHoleCluster, InboundPassthroughClusterIpv4, InboundPassthroughClusterIpv6, PassthroughCluster, TypeUrl, inboundClusterName, outboundClusterName } from './names.js';
import { applyTrafficPolicy, defaultCircuitBreakers, mergeSubsetPolicy, policyForPort } from './traffic-policy.js';

type Obj = Record<string, any>;

function serviceMetadata(service: Service, subset?: string, rule?: { name: string; namespace: string }): Obj {
  return {
    filterMetadata: {
      istio: {
        services: [{ host: service.hostname, name: service.name, namespace: service.namespace }],
        ...(subset ? { subset } : {}),
        // Which DestinationRule shaped the cluster, as istioctl shows it.
        ...(rule ? { config: `/apis/networking.istio.io/v1/namespaces/${rule.namespace}/destination-rule/${rule.name}` } : {}),
      },
    },
  };
}

function httpProtocolOptions(port: ServicePort): Obj | undefined {
  if (isHttp2(port.protocol)) {
    return { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': TypeUrl.HttpProtocolOptions, explicitHttpConfig: { http2ProtocolOptions: {} } } };
  }
  if (port.protocol === undefined) {
    // Sniffed ports speak upstream whatever the client spoke.
    return { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': TypeUrl.HttpProtocolOptions, useDownstreamProtocolConfig: { httpProtocolOptions: {}, http2ProtocolOptions: {} } } };
  }
  return undefined;
}

function outboundCluster(ctx: ProxyContext, service: Service, port: ServicePort, subset: string, policy: Obj | undefined, rule?: { name: string; namespace: string }): Obj {
  const name = outboundClusterName(port.port, subset, service.hostname);
  const cluster: Obj = { name, type: 'EDS', edsClusterConfig: { edsConfig: { ads: {}, initialFetchTimeout: '0s', resourceApiVersion: 'V3' }, serviceName: name }, connectTimeout: ctx.mesh.connectTimeout };
  if (service.resolution === 'Passthrough') {
    cluster['type'] = 'ORIGINAL_DST';
    delete cluster['edsClusterConfig'];
  } else if (service.resolution === 'DNS') {
    cluster['type'] = 'STRICT_DNS';
    delete cluster['edsClusterConfig'];
    cluster['dnsLookupFamily'] = 'V4_ONLY';
    cluster['loadAssignment'] = { clusterName: name, endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: service.hostname, portValue: port.port } } } }] }] };
  }
  cluster['circuitBreakers'] = defaultCircuitBreakers();
  applyTrafficPolicy(cluster, policyForPort(policy, port.port));
  if (cluster['type'] === 'ORIGINAL_DST') cluster['lbPolicy'] = 'CLUSTER_PROVIDED';
  const options = httpProtocolOptions(port);
  if (options) cluster['typedExtensionProtocolOptions'] = { ...options, ...(cluster['typedExtensionProtocolOptions'] ?? {}) };
  cluster['metadata'] = serviceMetadata(service, subset || undefined, rule);
  return cluster;
}

export function outboundClusters(ctx: ProxyContext): Obj[] {
  const clusters: Obj[] = [];
  for (const service of ctx.services) {
    const rule = ctx.destinationRule(service.hostname, service.namespace);
    const rulePolicy = rule?.spec['trafficPolicy'] as Obj | undefined;
    for (const port of service.ports) {
      if (port.protocol === 'UDP' || port.protocol === 'UnsupportedProtocol') continue;
      clusters.push(outboundCluster(ctx, service, port, '', rulePolicy, rule));
      for (const subset of (rule?.spec['subsets'] as Obj[] | undefined) ?? []) {
        clusters.push(outboundCluster(ctx, service, port, String(subset['name']), mergeSubsetPolicy(rulePolicy, subset['trafficPolicy'] as Obj | undefined), rule));
      }
    }
  }
  return clusters;
}

function originalDstCluster(name: string, connectTimeout: string, bindTo?: string, extraBindTo?: string): Obj {
  const extra = extraBindTo ? { extraSourceAddresses: [{ address: { address: extraBindTo, portValue: 0 } }] } : {};
  return {
    name,
    type: 'ORIGINAL_DST',
    connectTimeout,
    lbPolicy: 'CLUSTER_PROVIDED',
    circuitBreakers: defaultCircuitBreakers(),
    cleanupInterval: '60s',
    ...(bindTo ? { upstreamBindConfig: { sourceAddress: { address: bindTo, portValue: 0 }, ...extra } } : {}),
  };
}

/** inbound|<port>|| for each port this proxy's services expose; reached from 127.0.0.6 (and ::6 for dual stack). */
export function inboundClusters(ctx: ProxyContext): Obj[] {
  const seen = new Set<number>();
  const clusters: Obj[] = [];
  for (const service of ctx.inboundServices) {
    for (const port of service.ports) {
      const target = typeof port.targetPort === 'number' ? port.targetPort : ctx.workload?.containerPorts.find((p) => p.name === port.targetPort)?.containerPort ?? port.port;
      if (seen.has(target) || port.protocol === 'UDP') continue;
      seen.add(target);
      // Dual stack: an IPv6 connection reaches the app from ::6 (the source of the host's family).
      const cluster = originalDstCluster(inboundClusterName(target), ctx.mesh.connectTimeout, '127.0.0.6', isDualStack(ctx.proxy) ? '::6' : undefined);
      cluster['metadata'] = serviceMetadata(service);
      clusters.push(cluster);
    }
  }
  return clusters;
}

export function specialClusters(ctx: ProxyContext): Obj[] {
  const passthrough = originalDstCluster(PassthroughCluster, ctx.mesh.connectTimeout);
  passthrough['typedExtensionProtocolOptions'] = {
    'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': TypeUrl.HttpProtocolOptions, useDownstreamProtocolConfig: { httpProtocolOptions: {}, http2ProtocolOptions: {} } },
  };
  return [
    { name: BlackHoleCluster, type: 'STATIC', connectTimeout: ctx.mesh.connectTimeout },
    originalDstCluster(InboundPassthroughClusterIpv4, ctx.mesh.connectTimeout, '127.0.0.6'),
    originalDstCluster(InboundPassthroughClusterIpv6, ctx.mesh.connectTimeout, '::6'),
    passthrough,
  ];
}

export function generateClusters(ctx: ProxyContext): Obj[] {
  return [...outboundClusters(ctx), ...inboundClusters(ctx), ...specialClusters(ctx)];
}
