// `outrigger proxy-config` (alias `pc`): istioctl's tables over a proxy's admin API.
import { Command, Option } from 'commander';
import { stringify as stringifyYaml } from 'yaml';
import {
  bootstrapOf,
  clustersOf,
  listenersOf,
  renderClusters,
  renderEndpoints,
  renderListeners,
  renderRoutes,
  routesOf,
  toCamel,
} from '../debug/index.js';
import { UsageError } from './errors.js';

type Obj = Record<string, any>;
type Output = 'short' | 'json' | 'yaml';

/** TARGET is the proxy's admin address: host:port (or just a port on localhost). */
export function adminBase(target: string): string {
  if (/^\d+$/.test(target)) return `http://127.0.0.1:${target}`;
  if (/^https?:\/\//.test(target)) return target.replace(/\/$/, '');
  if (/^[^:/]+:\d+$/.test(target) || /^\[[^\]]+\]:\d+$/.test(target)) return `http://${target}`;
  throw new UsageError(`invalid target "${target}": give the proxy's admin address as host:port (e.g. 127.0.0.1:15000)`);
}

/** The errno behind a failed fetch (ECONNREFUSED…), which undici wraps in causes. */
export function failureReason(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const e = current as { code?: string; errors?: { code?: string }[]; cause?: unknown; name?: string };
    if (e.code) return e.code;
    if (e.errors?.[0]?.code) return e.errors[0].code;
    if (e.name === 'TimeoutError') return 'timed out';
    if (!e.cause && depth > 0) return (current as Error).message;
    current = e.cause;
  }
  return (error as Error).message;
}

async function fetchJson(base: string, path: string): Promise<Obj> {
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(5000) });
  } catch (error) {
    throw new UsageError(`cannot reach the proxy's admin API at ${base}: ${failureReason(error)}`);
  }
  if (!response.ok) throw new UsageError(`${base}${path} returned HTTP ${response.status}`);
  try {
    return (await response.json()) as Obj;
  } catch {
    throw new UsageError(`${base}${path} did not return JSON`);
  }
}

function print(output: Output, table: () => string, resources: () => unknown): void {
  if (output === 'json') process.stdout.write(`${JSON.stringify(toCamel(resources()), null, 2)}\n`);
  else if (output === 'yaml') process.stdout.write(stringifyYaml(toCamel(resources()), { lineWidth: 0 }));
  else process.stdout.write(table());
}

const outputOption = () => new Option('-o, --output <format>', 'output format').choices(['short', 'json', 'yaml']).default('short');
const portOption = (description: string) =>
  new Option('--port <port>', description).argParser((value: string) => {
    if (!/^\d+$/.test(value) || Number(value) > 65535) throw new UsageError(`invalid value "${value}" for --port: not a port number`);
    return Number(value);
  });

export function proxyConfigCommand(): Command {
  const pc = new Command('proxy-config')
    .alias('pc')
    .description("Print a proxy's listeners, routes, clusters and endpoints as istioctl proxy-config does (TARGET: the admin host:port)");

  pc.command('listener')
    .alias('listeners')
    .description('listeners: one row per filter chain (ADDRESS, PORT, MATCH, DESTINATION)')
    .argument('<target>', 'admin address, e.g. 127.0.0.1:15000')
    .addOption(portOption('only listeners on this port'))
    .option('--address <address>', 'only listeners on this address')
    .addOption(new Option('--type <type>', 'only filter chains of this type').choices(['HTTP', 'TCP', 'http', 'tcp']))
    .addOption(outputOption())
    .action(async (target: string, opts: { port?: number; address?: string; type?: string; output: Output }) => {
      const dump = await fetchJson(adminBase(target), '/config_dump');
      const filter = { ...(opts.port !== undefined ? { port: opts.port } : {}), ...(opts.address ? { address: opts.address } : {}), ...(opts.type ? { type: opts.type } : {}) };
      const listeners = listenersOf(dump).filter((l) => (opts.port === undefined || l['address']?.['socket_address']?.['port_value'] === opts.port) && (!opts.address || l['address']?.['socket_address']?.['address'] === opts.address));
      print(opts.output, () => renderListeners(listenersOf(dump), filter), () => listeners);
    });

  pc.command('route')
    .alias('routes')
    .description('routes: one row per virtual host (NAME, VHOST NAME, DOMAINS, MATCH, VIRTUAL SERVICE)')
    .argument('<target>', 'admin address')
    .option('--name <name>', 'only the route configuration of this name (e.g. 9080)')
    .addOption(outputOption())
    .action(async (target: string, opts: { name?: string; output: Output }) => {
      const routes = routesOf(await fetchJson(adminBase(target), '/config_dump'));
      const filter = opts.name ? { name: opts.name } : {};
      print(opts.output, () => renderRoutes(routes, filter), () => routes.filter((r) => !opts.name || r['name'] === opts.name));
    });

  pc.command('cluster')
    .alias('clusters')
    .description('clusters (SERVICE FQDN, PORT, SUBSET, DIRECTION, TYPE, DESTINATION RULE)')
    .argument('<target>', 'admin address')
    .option('--fqdn <fqdn>', 'only clusters of this service')
    .addOption(portOption('only clusters of this port'))
    .option('--subset <subset>', 'only clusters of this subset')
    .addOption(new Option('--direction <direction>', 'only inbound or outbound clusters').choices(['inbound', 'outbound']))
    .addOption(outputOption())
    .action(async (target: string, opts: { fqdn?: string; port?: number; subset?: string; direction?: string; output: Output }) => {
      const clusters = clustersOf(await fetchJson(adminBase(target), '/config_dump'));
      const filter = { ...(opts.fqdn ? { fqdn: opts.fqdn } : {}), ...(opts.port !== undefined ? { port: opts.port } : {}), ...(opts.subset ? { subset: opts.subset } : {}), ...(opts.direction ? { direction: opts.direction } : {}) };
      print(opts.output, () => renderClusters(clusters, filter), () => clusters);
    });

  pc.command('endpoint')
    .alias('endpoints')
    .description('endpoints (ENDPOINT, STATUS, OUTLIER CHECK, CLUSTER)')
    .argument('<target>', 'admin address')
    .option('--address <address>', 'only endpoints with this address')
    .addOption(portOption('only endpoints on this port'))
    .option('--cluster <cluster>', 'only endpoints of this cluster')
    .addOption(new Option('--status <status>', 'only endpoints with this health status').choices(['healthy', 'unhealthy', 'draining', 'timeout', 'degraded', 'unknown', 'HEALTHY', 'UNHEALTHY']))
    .addOption(outputOption())
    .action(async (target: string, opts: { address?: string; port?: number; cluster?: string; status?: string; output: Output }) => {
      const statuses = await fetchJson(adminBase(target), '/clusters?format=json');
      const filter = { ...(opts.address ? { address: opts.address } : {}), ...(opts.port !== undefined ? { port: opts.port } : {}), ...(opts.cluster ? { cluster: opts.cluster } : {}), ...(opts.status ? { status: opts.status } : {}) };
      print(opts.output, () => renderEndpoints(statuses, filter), () => (statuses['cluster_statuses'] as Obj[] | undefined ?? []).filter((c) => !opts.cluster || c['name'] === opts.cluster));
    });

  pc.command('bootstrap')
    .description('the bootstrap the proxy runs with')
    .argument('<target>', 'admin address')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json', 'yaml']).default('json'))
    .action(async (target: string, opts: { output: 'json' | 'yaml' }) => {
      const bootstrap = { bootstrap: bootstrapOf(await fetchJson(adminBase(target), '/config_dump')) ?? {} };
      print(opts.output, () => '', () => bootstrap);
    });

  pc.command('all')
    .description('listeners, routes, clusters and endpoints together')
    .argument('<target>', 'admin address')
    .addOption(outputOption())
    .action(async (target: string, opts: { output: Output }) => {
      const base = adminBase(target);
      const dump = await fetchJson(base, '/config_dump');
      const statuses = await fetchJson(base, '/clusters?format=json');
      if (opts.output !== 'short') {
        print(opts.output, () => '', () => ({ listeners: listenersOf(dump), routes: routesOf(dump), clusters: clustersOf(dump), endpoints: statuses['cluster_statuses'] ?? [] }));
        return;
      }
      process.stdout.write([renderListeners(listenersOf(dump)), renderRoutes(routesOf(dump)), renderClusters(clustersOf(dump)), renderEndpoints(statuses)].join('\n'));
    });

  for (const sub of pc.commands) sub.exitOverride().showHelpAfterError('(add --help for usage)');
  return pc;
}
