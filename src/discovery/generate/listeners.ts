// LDS: virtualOutbound (15001) hands each captured connection to the listener of
// its original destination; per-port outbound listeners (0.0.0.0_9080 for HTTP,
// <VIP>_<port> for TCP); virtualInbound (15006) with a filter chain per port the
// proxy serves and a passthrough for the rest.
import { isHttp, isTcp } from '../protocol.js';
import type { Service } from '../model.js';
import type { ProxyContext } from './context.js';
import { isDualStack } from '../proxy.js';
import {
  BlackHoleCluster,
  InboundPassthroughClusterIpv4,
  InboundPassthroughClusterIpv6,
  PassthroughCluster,
  TypeUrl,
  VirtualInbound,
  VirtualInboundPort,
  VirtualOutbound,
  VirtualOutboundPort,
  inboundClusterName,
  outboundClusterName,
} from './names.js';
import { httpPorts } from './routes.js';

type Obj = Record<string, any>;

const ads = { ads: {}, initialFetchTimeout: '0s', resourceApiVersion: 'V3' };
const httpApplicationProtocols = ['http/1.0', 'http/1.1', 'h2c'];

export function tcpProxy(statPrefix: string, target: string | { name: string; weight: number }[]): Obj {
  return {
    name: 'envoy.filters.network.tcp_proxy',
    typedConfig: { '@type': TypeUrl.TcpProxy, statPrefix, ...(typeof target === 'string' ? { cluster: target } : { weightedClusters: { clusters: target } }) },
  };
}

function httpFilters(withFault: boolean): Obj[] {
  return [
    ...(withFault ? [{ name: 'envoy.filters.http.fault', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault' } }] : []),
    { name: 'envoy.filters.http.router', typedConfig: { '@type': TypeUrl.Router } },
  ];
}

export function httpConnectionManager(statPrefix: string, routes: { rds: string } | { routeConfig: Obj }, withFault: boolean): Obj {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typedConfig: {
      '@type': TypeUrl.HttpConnectionManager,
      statPrefix,
      ...('rds' in routes ? { rds: { configSource: ads, routeConfigName: routes.rds } } : { routeConfig: routes.routeConfig }),
      httpFilters: httpFilters(withFault),
      useRemoteAddress: false,
      normalizePath: true,
      streamIdleTimeout: '0s',
      // Istio lets WebSockets through every sidecar connection manager, inbound and outbound.
      upgradeConfigs: [{ upgradeType: 'websocket' }],
    },
  };
}

function listener(name: string, address: string, port: number, direction: 'OUTBOUND' | 'INBOUND', rest: Obj): Obj {
  return { name, address: { socketAddress: { address, portValue: port } }, ...rest, trafficDirection: direction };
}

/** A 0.0.0.0 listener; for a dual-stack proxy also on "::", as Istio adds it (additional_addresses). */
function wildcardListener(ctx: ProxyContext, name: string, port: number, direction: 'OUTBOUND' | 'INBOUND', rest: Obj): Obj {
  const ipv6 = isDualStack(ctx.proxy) ? { additionalAddresses: [{ address: { socketAddress: { address: '::', portValue: port } } }] } : {};
  return listener(name, '0.0.0.0', port, direction, { ...ipv6, ...rest });
}

function passthroughChain(ctx: ProxyContext): Obj {
  const target = ctx.mesh.outboundTrafficPolicy === 'ALLOW_ANY' ? PassthroughCluster : BlackHoleCluster;
  return { name: 'PassthroughFilterChain', filters: [tcpProxy(target, target)] };
}

export function virtualOutbound(ctx: ProxyContext): Obj {
  return wildcardListener(ctx, VirtualOutbound, VirtualOutboundPort, 'OUTBOUND', {
    useOriginalDst: true,
    filterChains: [
      // A connection to 15001 itself would loop: drop it.
      { name: 'virtualOutbound-blackhole', filterChainMatch: { destinationPort: VirtualOutboundPort }, filters: [tcpProxy(BlackHoleCluster, BlackHoleCluster)] },
    ],
    defaultFilterChain: passthroughChain(ctx),
  });
}

function tcpTarget(ctx: ProxyContext, service: Service, port: number): { statPrefix: string; target: string | { name: string; weight: number }[] } {
  const vs = ctx.virtualService(service.hostname);
  const tcpRoute = ((vs?.spec['tcp'] as Obj[] | undefined) ?? []).find((r) => {
    const matches = (r['match'] as Obj[] | undefined) ?? [];
    return matches.length === 0 || matches.some((m) => m['port'] === undefined || Number(m['port']) === port);
  });
  if (vs && tcpRoute) {
    const dests = ((tcpRoute['route'] as Obj[] | undefined) ?? []).map((d) => {
      const dest = d['destination'] as Obj;
      const host = ctx.resolve(String(dest['host']), vs.namespace);
      const destPort = dest['port']?.['number'] !== undefined ? Number(dest['port']['number']) : port;
      return { name: outboundClusterName(destPort, String(dest['subset'] ?? ''), host), weight: Number(d['weight'] ?? 0) };
    });
    if (dests.length === 1) return { statPrefix: dests[0]!.name, target: dests[0]!.name };
    if (dests.length > 1) return { statPrefix: service.hostname, target: dests.filter((d) => d.weight > 0) };
  }
  const cluster = outboundClusterName(port, '', service.hostname);
  return { statPrefix: cluster, target: cluster };
}

export function outboundListeners(ctx: ProxyContext): Obj[] {
  const withFault = ctx.model.virtualServices.some((vs) => ((vs.spec['http'] as Obj[] | undefined) ?? []).some((h) => h['fault']));
  const listeners: Obj[] = [];
  const http = new Set(httpPorts(ctx));
  for (const port of http) {
    // Sniffed ports: HTTP goes to the route configuration, anything else to the service (if one is unambiguous) or passthrough.
    const sniffed = ctx.services.filter((s) => s.ports.some((p) => p.port === port && p.protocol === undefined));
    const declaredHttp = ctx.services.some((s) => s.ports.some((p) => p.port === port && isHttp(p.protocol)));
    const hcm = httpConnectionManager(`outbound_0.0.0.0_${port}`, { rds: String(port) }, withFault);
    const filterChains: Obj[] = [];
    const rest: Obj = { bindToPort: false };
    if (!declaredHttp && sniffed.length > 0) {
      rest['listenerFilters'] = [{ name: 'envoy.filters.listener.http_inspector', typedConfig: { '@type': TypeUrl.HttpInspector } }];
      rest['listenerFiltersTimeout'] = '0.100s';
      rest['continueOnListenerFiltersTimeout'] = true;
      filterChains.push({ filterChainMatch: { applicationProtocols: httpApplicationProtocols }, filters: [hcm] });
      for (const service of sniffed.filter((s) => s.clusterIP)) {
        const { statPrefix, target } = tcpTarget(ctx, service, port);
        filterChains.push({ filterChainMatch: { prefixRanges: [{ addressPrefix: service.clusterIP!, prefixLen: service.clusterIP!.includes(':') ? 128 : 32 }] }, filters: [tcpProxy(statPrefix, target)] });
      }
      rest['defaultFilterChain'] = passthroughChain(ctx);
    } else {
      filterChains.push({ filterChainMatch: {}, filters: [hcm] });
    }
    listeners.push(wildcardListener(ctx, `0.0.0.0_${port}`, port, 'OUTBOUND', { filterChains, ...rest }));
  }
  for (const service of ctx.services) {
    for (const port of service.ports) {
      // TCP services get a listener on their VIP; headless ones are reached through passthrough.
      if (!isTcp(port.protocol) || !service.clusterIP) continue;
      const { statPrefix, target } = tcpTarget(ctx, service, port.port);
      listeners.push(listener(`${service.clusterIP}_${port.port}`, service.clusterIP, port.port, 'OUTBOUND', { bindToPort: false, filterChains: [{ filters: [tcpProxy(statPrefix, target)] }] }));
    }
  }
  return listeners;
}

/** The target ports this proxy serves, with their protocol and the service they belong to. */
function inboundPorts(ctx: ProxyContext): { port: number; service: Service; http: boolean; sniffed: boolean }[] {
  const seen = new Map<number, { port: number; service: Service; http: boolean; sniffed: boolean }>();
  for (const service of ctx.inboundServices) {
    for (const p of service.ports) {
      if (p.protocol === 'UDP' || p.protocol === 'UnsupportedProtocol') continue;
      const target = typeof p.targetPort === 'number' ? p.targetPort : ctx.workload?.containerPorts.find((c) => c.name === p.targetPort)?.containerPort ?? p.port;
      if (!seen.has(target)) seen.set(target, { port: target, service, http: isHttp(p.protocol), sniffed: p.protocol === undefined });
    }
  }
  return [...seen.values()].sort((a, b) => a.port - b.port);
}

export function virtualInbound(ctx: ProxyContext): Obj {
  const chains: Obj[] = [{ name: 'virtualInbound-blackhole', filterChainMatch: { destinationPort: VirtualInboundPort }, filters: [tcpProxy(BlackHoleCluster, BlackHoleCluster)] }];
  for (const { port, service, http, sniffed } of inboundPorts(ctx)) {
    const cluster = inboundClusterName(port);
    const routeConfig = {
      name: cluster,
      virtualHosts: [{ name: `inbound|http|${port}`, domains: ['*'], routes: [{ name: 'default', match: { prefix: '/' }, route: { cluster, timeout: '0s', maxStreamDuration: { maxStreamDuration: '0s', grpcTimeoutHeaderMax: '0s' } }, decorator: { operation: `${service.hostname}:${port}/*` } }] }],
      validateClusters: false,
    };
    const hcm = httpConnectionManager(`inbound_0.0.0.0_${port}`, { routeConfig }, false);
    if (http) chains.push({ name: `0.0.0.0_${port}`, filterChainMatch: { destinationPort: port, transportProtocol: 'raw_buffer' }, filters: [hcm] });
    else if (sniffed) {
      chains.push({ name: `0.0.0.0_${port}`, filterChainMatch: { destinationPort: port, transportProtocol: 'raw_buffer', applicationProtocols: httpApplicationProtocols }, filters: [hcm] });
      chains.push({ name: `0.0.0.0_${port}`, filterChainMatch: { destinationPort: port, transportProtocol: 'raw_buffer' }, filters: [tcpProxy(cluster, cluster)] });
    } else chains.push({ name: `0.0.0.0_${port}`, filterChainMatch: { destinationPort: port, transportProtocol: 'raw_buffer' }, filters: [tcpProxy(cluster, cluster)] });
  }
  // Ports no service declares still reach the app, untouched: per family, each from its own
  // source (127.0.0.6, ::6), so capture lets it through to the app.
  chains.push({ name: 'virtualInbound', filterChainMatch: { prefixRanges: [{ addressPrefix: '0.0.0.0', prefixLen: 0 }] }, filters: [tcpProxy(InboundPassthroughClusterIpv4, InboundPassthroughClusterIpv4)] });
  chains.push({ name: 'virtualInbound', filterChainMatch: { prefixRanges: [{ addressPrefix: '::', prefixLen: 0 }] }, filters: [tcpProxy(InboundPassthroughClusterIpv6, InboundPassthroughClusterIpv6)] });
  return wildcardListener(ctx, VirtualInbound, VirtualInboundPort, 'INBOUND', {
    listenerFilters: [
      { name: 'envoy.filters.listener.original_dst', typedConfig: { '@type': TypeUrl.OriginalDst } },
      { name: 'envoy.filters.listener.tls_inspector', typedConfig: { '@type': TypeUrl.TlsInspector } },
      { name: 'envoy.filters.listener.http_inspector', typedConfig: { '@type': TypeUrl.HttpInspector } },
    ],
    listenerFiltersTimeout: '0.100s',
    continueOnListenerFiltersTimeout: true,
    filterChains: chains,
  });
}

export function generateListeners(ctx: ProxyContext): Obj[] {
  return [virtualOutbound(ctx), virtualInbound(ctx), ...outboundListeners(ctx)];
}
