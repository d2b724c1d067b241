// `outrigger proxy sidecar`: what the injected istio-proxy container runs. The agent
// and the data plane in one process: the pod's identity from its environment, the
// proxy started with admin only, its listeners, clusters, routes and endpoints
// from discovery over ADS, the status and readiness ports, and the DNS proxy when
// DNS capture is on.
import { readFileSync } from 'node:fs';
import { startProxy } from '../proxy/index.js';
import type { ProxyServer } from '../proxy/index.js';
import { scope } from '../log/index.js';
import { ClusterType, EndpointType, ListenerType, RouteType } from '../xds/ads-client.js';
import type { AdsClient } from '../xds/ads-client.js';
import { parseAppProbers } from './app-probers.js';
import { DnsProxy } from './dns-proxy.js';
import type { NameInfo } from './dns-proxy.js';
import { discoveryAddress, numberSetting, sidecarIdentity } from './identity.js';
import type { SidecarIdentity } from './identity.js';
import { parsePrometheusAnnotations, startStatusServer } from './status-server.js';
import type { StatusServer } from './status-server.js';
import { connectAds, NameTableType } from '../proxy/ads-apply.js';

const log = scope('sidecar');

export interface SidecarOptions {
  env: Readonly<Record<string, string | undefined>>;
  domain?: string;
  /** Overrides PROXY_CONFIG's discoveryAddress. */
  discoveryAddress?: string;
  logLevel?: string;
  /** The proxy's --concurrency (its worker processes). */
  concurrency?: number;
  /** Ports, Istio's by default; 0 picks a free one (tests). */
  statusPort?: number;
  readinessPort?: number;
  dnsPort?: number;
  /** resolv.conf to forward non-mesh DNS names to. */
  resolvConf?: string;
}

export interface Sidecar {
  identity: SidecarIdentity;
  proxy: ProxyServer;
  ads: AdsClient;
  status: StatusServer;
  dns: DnsProxy | undefined;
  ready(): boolean;
  /** Stops the agent; the proxy first drains open connections for drainSeconds (0: closes now). */
  stop(drainSeconds?: number): Promise<void>;
}

function nameservers(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1]).filter((s): s is string => Boolean(s));
  } catch {
    return [];
  }
}

export async function startSidecar(options: SidecarOptions): Promise<Sidecar> {
  const identity = sidecarIdentity(options.env, options.domain ? { domain: options.domain } : {});
  const xds = discoveryAddress(identity, options.discoveryAddress);
  const adminPort = numberSetting(identity.proxyConfig, 'proxyAdminPort', 15000);
  // The proxy gets its identity and admin API; everything else arrives over ADS.
  const proxy = await startProxy({
    bootstrap: { node: { id: identity.nodeId, cluster: identity.cluster }, admin: { address: { socket_address: { address: '127.0.0.1', port_value: adminPort } } } },
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
  });

  const dnsCapture = options.env['ISTIO_META_DNS_CAPTURE'] === 'true';
  let dns: DnsProxy | undefined;
  if (dnsCapture) {
    dns = new DnsProxy({ host: '127.0.0.1', port: options.dnsPort ?? 15053, upstreams: nameservers(options.resolvConf ?? '/etc/resolv.conf') });
    await dns.start();
  }

  const { client: ads, applier } = connectAds(proxy, {
    address: `${xds.host.includes(':') ? `[${xds.host}]` : xds.host}:${xds.port}`,
    node: { id: identity.nodeId, cluster: identity.cluster, metadata: identity.metadata },
    onNameTable: (table) => dns?.setTable(table as Record<string, NameInfo>),
  });
  if (dnsCapture) ads.subscribe(NameTableType, []);

  // Ready once the first full configuration is in: clusters, listeners, and (when named) endpoints and routes.
  const ready = () => {
    const wanted = [ClusterType, ListenerType];
    const status = ads.status();
    if ((status[EndpointType]?.names.length ?? 0) > 0) wanted.push(EndpointType);
    if ((status[RouteType]?.names.length ?? 0) > 0) wanted.push(RouteType);
    return wanted.every((t) => applier.applied.has(t)) && proxy.state() === 'LIVE';
  };

  let stopping: Promise<void> | undefined;
  const stop = (drainSeconds = 0): Promise<void> => {
    stopping ??= (async () => {
      ads.stop();
      // While draining the readiness port answers 503 (the proxy is no longer LIVE).
      if (drainSeconds > 0) await proxy.drain(drainSeconds);
      else await proxy.shutdown();
      await status.close();
      await dns?.stop();
    })();
    return stopping;
  };

  const statusPort = options.statusPort ?? numberSetting(identity.proxyConfig, 'statusPort', 15020);
  const appMetrics = parsePrometheusAnnotations(options.env['ISTIO_PROMETHEUS_ANNOTATIONS']);
  const status = await startStatusServer({
    statusPort,
    readinessPort: options.readinessPort ?? 15021,
    appHost: identity.ip,
    probers: parseAppProbers(options.env['ISTIO_KUBE_APP_PROBERS']),
    proxyReady: ready,
    proxyStats: async () => {
      const response = await fetch(`http://127.0.0.1:${proxy.adminAddress?.port ?? adminPort}/stats/prometheus`);
      return response.text();
    },
    ...(appMetrics ? { appMetrics } : {}),
    onQuit: () => void stop(),
  });
  log.info(`sidecar ${identity.nodeId}: discovery ${xds.host}:${xds.port}, status ${status.statusPort}, readiness ${status.readinessPort}${dns ? `, DNS ${dns.port}` : ''}`);
  return { identity, proxy, ads, status, dns, ready, stop };
}
