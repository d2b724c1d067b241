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
import { adminTarget } from './admin-target.js';

type Obj = Record<string, any>;
type Output = 'short' | 'json' | 'yaml';

export { adminBase, failureReason } from './admin-target.js';

/** TARGET: an admin address, or a pod of the local runtime (POD, POD.NAMESPACE or POD -n NAMESPACE). */
async function fetchJson(target: string, opts: { namespace?: string }, path: string): Promise<Obj> {
  const admin = adminTarget(target, opts.namespace ? { namespace: opts.namespace } : {});
  const body = await admin.get(path);
  try {
    return JSON.parse(body) as Obj;
  } catch {
    throw new UsageError(`${admin.describe}${path} did not return JSON`);
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
    .description("Print a proxy's listeners, routes, clusters and endpoints as istioctl proxy-config does (TARGET: the admin host:port, or a pod of the local runtime as POD[.NAMESPACE])");

  pc.command('listener')
    .alias('listeners')
    .description('listeners: one row per filter chain (ADDRESS, PORT, MATCH, DESTINATION)')
    .argument('<target>', 'admin address (e.g. 127.0.0.1:15000) or runtime pod (POD[.NAMESPACE])')
    .addOption(portOption('only listeners on this port'))
    .option('--address <address>', 'only listeners on this address')
    .addOption(new Option('--type <type>', 'only filter chains of this type').choices(['HTTP', 'TCP', 'http', 'tcp']))
    .addOption(outputOption())
    .action(async (target: string, opts: { port?: number; address?: string; type?: string; output: Output; namespace?: string }) => {
      const dump = await fetchJson(target, opts, '/config_dump');
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
    .action(async (target: string, opts: { name?: string; output: Output; namespace?: string }) => {
      const routes = routesOf(await fetchJson(target, opts, '/config_dump'));
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
    .action(async (target: string, opts: { fqdn?: string; port?: number; subset?: string; direction?: string; output: Output; namespace?: string }) => {
      const clusters = clustersOf(await fetchJson(target, opts, '/config_dump'));
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
    .action(async (target: string, opts: { address?: string; port?: number; cluster?: string; status?: string; output: Output; namespace?: string }) => {
      const statuses = await fetchJson(target, opts, '/clusters?format=json');
      const filter = { ...(opts.address ? { address: opts.address } : {}), ...(opts.port !== undefined ? { port: opts.port } : {}), ...(opts.cluster ? { cluster: opts.cluster } : {}), ...(opts.status ? { status: opts.status } : {}) };
      print(opts.output, () => renderEndpoints(statuses, filter), () => (statuses['cluster_statuses'] as Obj[] | undefined ?? []).filter((c) => !opts.cluster || c['name'] === opts.cluster));
    });

  pc.command('bootstrap')
    .description('the bootstrap the proxy runs with')
    .argument('<target>', 'admin address')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json', 'yaml']).default('json'))
    .action(async (target: string, opts: { output: 'json' | 'yaml'; namespace?: string }) => {
      const bootstrap = { bootstrap: bootstrapOf(await fetchJson(target, opts, '/config_dump')) ?? {} };
      print(opts.output, () => '', () => bootstrap);
    });

  pc.command('all')
    .description('listeners, routes, clusters and endpoints together')
    .argument('<target>', 'admin address')
    .addOption(outputOption())
    .action(async (target: string, opts: { output: Output; namespace?: string }) => {
      const dump = await fetchJson(target, opts, '/config_dump');
      const statuses = await fetchJson(target, opts, '/clusters?format=json');
      if (opts.output !== 'short') {
        print(opts.output, () => '', () => ({ listeners: listenersOf(dump), routes: routesOf(dump), clusters: clustersOf(dump), endpoints: statuses['cluster_statuses'] ?? [] }));
        return;
      }
      process.stdout.write([renderListeners(listenersOf(dump)), renderRoutes(routesOf(dump)), renderClusters(clustersOf(dump)), renderEndpoints(statuses)].join('\n'));
    });

  for (const sub of pc.commands) {
    sub.option('-n, --namespace <namespace>', 'namespace of a runtime pod TARGET (default: default)');
    sub.exitOverride().showHelpAfterError('(add --help for usage)');
  }
  return pc;
}
