// The setups under test, each started in front of the same upstream: none (direct), a pair of
// Outrigger proxies, a pair of HAProxy processes. A pair is a client sidecar's outbound
// listener (A) forwarding to the server sidecar's inbound listener (B), which forwards to the
// app, as a request between two meshed pods crosses two sidecars.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, start, stop, waitForPort } from './processes.js';
import type { Started } from './processes.js';

export interface ChainProxy {
  /** "A" (client side) or "B" (server side). */
  name: string;
  started: Started;
}

export interface Chain {
  setup: string;
  /** Where the generators send. */
  entryPort: number;
  proxies: ChainProxy[];
  stop(): Promise<void>;
}

export interface ChainOptions {
  root: string;
  dir: string;
  upstreamPort: number;
  /** Outrigger: extra node flags (e.g. --cpu-prof). */
  nodeFlags: string[];
  /** HAProxy: nbthread. */
  haproxyThreads: number;
}

export function direct(options: ChainOptions): Promise<Chain> {
  return Promise.resolve({ setup: 'direct', entryPort: options.upstreamPort, proxies: [], stop: () => Promise.resolve() });
}

const SERVICE = 'server.bench.svc.cluster.local';

function socketAddress(port: number) {
  return { socket_address: { address: '127.0.0.1', port_value: port } };
}

/** One Envoy v3 bootstrap: a listener with http_connection_manager + router to one STATIC endpoint. */
export function outriggerBootstrap(side: 'outbound' | 'inbound', listenPort: number, nextPort: number): Record<string, unknown> {
  // Istio's names for the two sides of a call to server.bench:8080.
  const names =
    side === 'outbound'
      ? { listener: '0.0.0.0_8080', statPrefix: 'outbound_0.0.0.0_8080', route: '8080', cluster: `outbound|8080||${SERVICE}`, node: 'sidecar~127.0.0.1~client.bench~bench.svc.cluster.local' }
      : { listener: 'virtualInbound', statPrefix: 'inbound_0.0.0.0_8080', route: 'inbound|8080||', cluster: 'inbound|8080||', node: 'sidecar~127.0.0.1~server.bench~bench.svc.cluster.local' };
  return {
    node: { id: names.node, cluster: side === 'outbound' ? 'client.bench' : 'server.bench' },
    static_resources: {
      listeners: [
        {
          name: names.listener,
          address: socketAddress(listenPort),
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    stat_prefix: names.statPrefix,
                    route_config: {
                      name: names.route,
                      virtual_hosts: [{ name: `${SERVICE}:8080`, domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: names.cluster } }] }],
                    },
                    http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [
        {
          name: names.cluster,
          type: 'STATIC',
          connect_timeout: '1s',
          load_assignment: { cluster_name: names.cluster, endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(nextPort) } }] }] },
        },
      ],
    },
  };
}

export async function outriggerPair(options: ChainOptions): Promise<Chain> {
  const portA = await freePort();
  const portB = await freePort();
  const launch = async (name: string, side: 'outbound' | 'inbound', listenPort: number, nextPort: number) => {
    const file = path.join(options.dir, `outrigger-${name}.json`);
    writeFileSync(file, JSON.stringify(outriggerBootstrap(side, listenPort, nextPort), null, 2));
    // The shipped CLI, one process per sidecar. --drain-time-s 0 so that SIGTERM ends it at
    // once (and a --cpu-prof profile gets written).
    const started = start(process.execPath, [...options.nodeFlags, path.join(options.root, 'bin', 'outrigger'), 'proxy', '-c', file, '--log-level', 'warning', '--drain-time-s', '0'], {
      cwd: options.dir,
      env: { ...process.env, NODE_ENV: 'production' },
    });
    await waitForPort(listenPort, started);
    return { name, started };
  };
  const b = await launch('B', 'inbound', portB, options.upstreamPort);
  const a = await launch('A', 'outbound', portA, portB);
  return {
    setup: 'outrigger',
    entryPort: portA,
    proxies: [a, b],
    stop: async () => {
      await Promise.all([stop(a.started, 5000), stop(b.started, 5000)]);
    },
  };
}

/** HAProxy in HTTP mode with keep-alive on both sides and server connections reused across clients. */
export function haproxyConfig(listenPort: number, nextPort: number, threads: number): string {
  return [
    'global',
    `  nbthread ${threads}`,
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  option http-keep-alive',
    '  http-reuse always',
    '  timeout connect 1s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  timeout http-keep-alive 30s',
    'frontend ingress',
    `  bind 127.0.0.1:${listenPort}`,
    '  default_backend next',
    'backend next',
    `  server next 127.0.0.1:${nextPort}`,
    '',
  ].join('\n');
}

export async function haproxyPair(options: ChainOptions): Promise<Chain> {
  const portA = await freePort();
  const portB = await freePort();
  const launch = async (name: string, listenPort: number, nextPort: number) => {
    const file = path.join(options.dir, `haproxy-${name}.cfg`);
    writeFileSync(file, haproxyConfig(listenPort, nextPort, options.haproxyThreads));
    // -db: foreground, no master process, so the PID is the one doing the work.
    const started = start('haproxy', ['-db', '-q', '-f', file], { cwd: options.dir });
    await waitForPort(listenPort, started);
    return { name, started };
  };
  const b = await launch('B', portB, options.upstreamPort);
  const a = await launch('A', portA, portB);
  return {
    setup: 'haproxy',
    entryPort: portA,
    proxies: [a, b],
    stop: async () => {
      await Promise.all([stop(a.started), stop(b.started)]);
    },
  };
}
