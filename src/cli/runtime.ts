// The local runtime's kubectl-shaped commands: up, down, get, logs, exec.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { stringifyYamlDocuments } from '../kube/index.js';
import { packageRoot } from '../paths.js';
import {
  ApplyError,
  DEFAULT_STATE_DIR,
  checkRanges,
  configChanges,
  splitApply,
  submitRequest,
  awaitResult,
  loadManifests,
  parseManifests,
  renderTable,
  deploymentTable,
  ManifestError,
  PlanError,
  RuntimeError,
  StateDir,
  StateError,
  containerEnv,
  describePod,
  humanDuration,
  planFromManifests,
  podCommand,
  podTable,
  preflightProblems,
  processAlive,
  serviceTable,
  startCluster,
  teardown,
} from '../runtime/index.js';
import type { ClusterOptions, ClusterPlan, ClusterRequest, PlannedPod } from '../runtime/index.js';
import type { KubeObject } from '../kube/index.js';
import { UsageError } from './errors.js';

const stateDirOption = () => new Option('--state-dir <dir>', 'where the cluster keeps its state').env('OUTRIGGER_STATE_DIR').default(DEFAULT_STATE_DIR);

/** Errors the user can fix are printed without a stack trace. */
function asUsage(error: unknown): never {
  if (error instanceof PlanError || error instanceof ManifestError || error instanceof RuntimeError || error instanceof StateError || error instanceof ApplyError) throw new UsageError(error.message);
  throw error;
}

function userErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    return asUsage(error);
  }
}

interface UpOptions {
  filename: string[];
  stateDir: string;
  podCidr: string;
  serviceCidr: string;
  netnsPrefix: string;
  sidecars: boolean;
  discovery?: boolean;
  foreground?: boolean;
  wait: string;
}

function clusterOptions(opts: UpOptions): ClusterOptions {
  return { manifests: opts.filename, stateDir: opts.stateDir, netnsPrefix: opts.netnsPrefix, podCidr: opts.podCidr, serviceCidr: opts.serviceCidr, sidecars: opts.sidecars, discovery: opts.discovery === true };
}

async function runForeground(opts: UpOptions): Promise<void> {
  const cluster = await startCluster(clusterOptions(opts)).catch(asUsage);
  const stop = () => void cluster.stop().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** The argv that runs this CLI again (compiled, or from sources under tsx). */
function selfCommand(): string[] {
  const loaders: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    if ((argv[i] === '--import' || argv[i] === '--loader' || argv[i] === '--require') && argv[i + 1] !== undefined) loaders.push(argv[i]!, argv[++i]!);
    else if (/^--(import|loader|require)=/.test(argv[i]!)) loaders.push(argv[i]!);
  }
  return [process.execPath, ...loaders, process.argv[1]!];
}

async function runBackground(opts: UpOptions): Promise<void> {
  // Check what can be checked here, so that mistakes are reported on this terminal.
  const preflight = preflightProblems();
  if (preflight.length > 0) throw new UsageError(preflight.join('\n'));
  const plan = userErrors(() => planFromManifests(clusterOptions(opts), { OUTRIGGER_SAMPLES: path.join(packageRoot, 'samples'), OUTRIGGER_REGISTRY: path.join(opts.stateDir, 'registry') }));
  for (const w of plan.warnings) process.stderr.write(`Warning: ${w}\n`);
  await checkRanges(plan).catch(asUsage);
  const state = new StateDir(opts.stateDir);
  if (state.exists()) {
    const pid = state.read().supervisorPid;
    throw new UsageError(processAlive(pid) ? `a cluster is already running from ${opts.stateDir} (supervisor pid ${pid}); "outrigger down" stops it` : `${opts.stateDir} holds the state of a cluster that was not torn down; run "outrigger down" first`);
  }
  mkdirSync(opts.stateDir, { recursive: true, mode: 0o755 });
  const log = openSync(state.supervisorLog, 'a', 0o644);
  const args = ['up', ...opts.filename.flatMap((f) => ['-f', path.resolve(f)]), '--state-dir', opts.stateDir, '--pod-cidr', opts.podCidr, '--service-cidr', opts.serviceCidr, '--netns-prefix', opts.netnsPrefix, ...(opts.sidecars ? [] : ['--no-sidecars']), ...(opts.discovery ? ['--discovery'] : []), '--foreground'];
  const [cmd, ...rest] = selfCommand();
  const child = spawn(cmd!, [...rest, ...args], { detached: true, stdio: ['ignore', log, log], cwd: process.cwd() });
  child.unref();
  process.stdout.write(`supervisor started (pid ${child.pid}); state in ${opts.stateDir}, its log in ${state.supervisorLog}\n`);

  const waitMs = Number(opts.wait) * 1000;
  if (!(waitMs > 0)) return;
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    if (!processAlive(child.pid)) {
      const text = existsSync(state.supervisorLog) ? readFileSync(state.supervisorLog, 'utf8').trim() : '';
      if (!state.exists()) rmSync(opts.stateDir, { recursive: true, force: true });
      throw new UsageError(`the supervisor exited while starting the cluster:\n${text}`);
    }
    const statuses = state.readStatuses();
    if (statuses.length === plan.pods.length && statuses.every((s) => s.ready || s.phase === 'Succeeded')) break;
  }
  const now = state.readStatuses();
  process.stdout.write(podTable([...plan.pods].sort(byNamespaceAndName), now, { wide: false, allNamespaces: true, nodeName: plan.nodeName, now: Date.now() }));
  if (!now.every((s) => s.ready || s.phase === 'Succeeded')) {
    process.stdout.write(`not every pod is ready after ${opts.wait}s; see "outrigger get pods -A" and "outrigger logs POD"\n`);
    process.exitCode = 1;
    return;
  }
  const stateFlag = opts.stateDir === DEFAULT_STATE_DIR ? '' : ` --state-dir ${opts.stateDir}`;
  process.stdout.write(`\nexplore with "outrigger get pods -A${stateFlag}", "outrigger exec POD -- CMD", "outrigger logs POD"; stop with "outrigger down${stateFlag}"\n`);
}

function upCommand(): Command {
  return new Command('up')
    .description('Run Kubernetes manifests as network-namespace pods on this machine (a supervising process keeps them running)')
    .requiredOption('-f, --filename <path...>', 'a manifest file, or a directory of them')
    .addOption(stateDirOption())
    .option('--pod-cidr <cidr>', 'addresses of pods (the node bridge takes the first)', '10.244.0.0/16')
    .option('--service-cidr <cidr>', 'virtual IPs of Services', '10.96.0.0/16')
    .option('--netns-prefix <prefix>', 'prefix of the network namespaces created', 'outrigger-')
    .option('--no-sidecars', 'do not inject sidecars, even where namespaces or pods ask for them')
    .option('--discovery', 'also run the control plane (outrigger discovery) as the istiod pod of istio-system')
    .option('--wait <seconds>', 'wait for every pod to be ready (0: do not wait)', '90')
    .option('--foreground', 'be the supervising process (stay attached) instead of starting one in the background')
    .action(async (opts: UpOptions) => {
      if (opts.foreground) await runForeground(opts);
      else await runBackground(opts);
    });
}

function downCommand(): Command {
  return new Command('down')
    .description('Stop the cluster and remove every namespace, veth, rule, process and file it created (also after a supervisor crash)')
    .addOption(stateDirOption())
    .action(async (opts: { stateDir: string }) => {
      const report = await teardown(opts.stateDir).catch(asUsage);
      process.stdout.write(`supervisor: ${report.supervisor}; removed ${report.netns.length} network namespaces and ${report.files.length} /etc/netns directories\n`);
    });
}

function loadCluster(stateDir: string): { state: StateDir; plan: ClusterPlan } {
  return userErrors(() => {
    const state = new StateDir(stateDir);
    const pid = state.read().supervisorPid;
    // Statuses are only as fresh as the supervisor that writes them.
    if (!processAlive(pid)) process.stderr.write(`Warning: the supervisor (pid ${pid}) is not running: statuses are stale and crashed containers are not restarted; "outrigger down" cleans up\n`);
    return { state, plan: state.readPlan() };
  });
}

function findPod(plan: ClusterPlan, name: string, namespace: string): PlannedPod {
  const pod = plan.pods.find((p) => p.name === name && p.namespace === namespace);
  if (!pod) throw new UsageError(`pods "${name}" not found in namespace "${namespace}"`);
  return pod;
}

function pickContainer(pod: PlannedPod, container: string | undefined): PlannedPod['containers'][number] {
  const all = [...pod.containers, ...pod.initContainers];
  if (container !== undefined) {
    const found = all.find((c) => c.container === container);
    if (!found) throw new UsageError(`container ${container} is not valid for pod ${pod.name}; choose one of: [${all.map((c) => c.container).join(' ')}]`);
    return found;
  }
  const preferred = pod.annotations['kubectl.kubernetes.io/default-container'];
  return pod.containers.find((c) => c.container === preferred) ?? pod.containers[0]!;
}

/** kubectl lists by namespace, then name. */
function byNamespaceAndName(a: { namespace: string; name: string }, b: { namespace: string; name: string }): number {
  return a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name);
}

interface GetOptions {
  namespace: string;
  allNamespaces?: boolean;
  output?: string;
  stateDir: string;
}

function getCommand(): Command {
  return new Command('get')
    .description('List pods, services, deployments or Istio configuration, as kubectl get does')
    .argument('<resource>', 'pods (po), services (svc), deployments (deploy), virtualservices (vs), destinationrules (dr), gateways (gw), serviceentries (se), sidecars')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('-A, --all-namespaces', 'every namespace')
    .option('-o, --output <format>', 'wide, yaml or json')
    .addOption(stateDirOption())
    .action((resource: string, opts: GetOptions) => {
      const { state, plan } = loadCluster(opts.stateDir);
      const all = opts.allNamespaces === true;
      const inScope = (ns: string) => all || ns === opts.namespace;
      if (opts.output !== undefined && !['wide', 'yaml', 'json'].includes(opts.output)) throw new UsageError(`--output ${opts.output}: use wide, yaml or json`);
      const wide = opts.output === 'wide';
      let objects: unknown[];
      let table: string;
      let count: number;
      if (['pods', 'pod', 'po'].includes(resource)) {
        const pods = plan.pods.filter((p) => inScope(p.namespace)).sort(byNamespaceAndName);
        const statuses = state.readStatuses();
        count = pods.length;
        table = podTable(pods, statuses, { wide, allNamespaces: all, nodeName: plan.nodeName, now: Date.now() });
        objects = pods.map((p) => {
          const record = statuses.find((s) => s.namespace === p.namespace && s.name === p.name);
          return { ...p.object, status: { ...(p.object['status'] as object), phase: record?.phase ?? 'Pending' } };
        });
      } else if (['services', 'service', 'svc'].includes(resource)) {
        const services = plan.services.filter((s) => inScope(s.namespace)).sort(byNamespaceAndName);
        count = services.length;
        const startedAt = Date.parse(state.read().startedAt);
        table = serviceTable(services, { wide, allNamespaces: all, age: humanDuration(Date.now() - startedAt) });
        objects = services.map((s) => ({ ...s.object, spec: { ...(s.object['spec'] as object), clusterIP: s.clusterIP } }));
      } else if (['deployments', 'deployment', 'deploy'].includes(resource)) {
        const deployments = state
          .readObjects()
          .map((o) => o.object)
          .filter((o) => o.kind === 'Deployment' && inScope(o.metadata?.namespace ?? 'default'))
          .map((o) => ({ object: o, namespace: o.metadata?.namespace ?? 'default', name: String(o.metadata?.name), replicas: Number((o['spec'] as { replicas?: number } | undefined)?.replicas ?? 1) }))
          .sort(byNamespaceAndName);
        count = deployments.length;
        table = deploymentTable(deployments, plan.pods, state.readStatuses(), { allNamespaces: all, age: humanDuration(Date.now() - Date.parse(state.read().startedAt)) });
        objects = deployments.map((d) => d.object);
      } else if (ISTIO_RESOURCES[resource]) {
        const kind = ISTIO_RESOURCES[resource]!;
        const found = state
          .listConfig()
          .map((c) => ({ object: parseManifests(c.text, c.file)[0]!.object, mtimeMs: c.mtimeMs }))
          .filter((c) => c.object.kind === kind && inScope(c.object.metadata?.namespace ?? 'default'));
        count = found.length;
        table = istioTable(kind, found, all);
        objects = found.map((c) => c.object);
      } else {
        throw new UsageError(`the server doesn't have a resource type "${resource}" (the local runtime lists pods, services, deployments, virtualservices, destinationrules, gateways, serviceentries, sidecars)`);
      }
      if (opts.output === 'yaml') process.stdout.write(stringifyYamlDocuments(objects));
      else if (opts.output === 'json') process.stdout.write(`${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`);
      else if (count === 0) process.stderr.write(all ? 'No resources found\n' : `No resources found in ${opts.namespace} namespace.\n`);
      else process.stdout.write(table);
    });
}

const ISTIO_RESOURCES: Record<string, string> = {
  virtualservices: 'VirtualService',
  virtualservice: 'VirtualService',
  vs: 'VirtualService',
  destinationrules: 'DestinationRule',
  destinationrule: 'DestinationRule',
  dr: 'DestinationRule',
  gateways: 'Gateway',
  gateway: 'Gateway',
  gw: 'Gateway',
  serviceentries: 'ServiceEntry',
  serviceentry: 'ServiceEntry',
  se: 'ServiceEntry',
  sidecars: 'Sidecar',
  sidecar: 'Sidecar',
};

/** The columns kubectl shows for Istio's kinds (from their CRDs' printer columns). */
function istioTable(kind: string, found: { object: KubeObject; mtimeMs: number }[], allNamespaces: boolean): string {
  const spec = (o: KubeObject) => (o['spec'] ?? {}) as Record<string, unknown>;
  const list = (v: unknown) => (Array.isArray(v) ? JSON.stringify(v) : '');
  const columns: [string, (o: KubeObject) => string][] =
    kind === 'VirtualService'
      ? [['GATEWAYS', (o) => list(spec(o)['gateways'])], ['HOSTS', (o) => list(spec(o)['hosts'])]]
      : kind === 'DestinationRule'
        ? [['HOST', (o) => String(spec(o)['host'] ?? '')]]
        : kind === 'ServiceEntry'
          ? [['HOSTS', (o) => list(spec(o)['hosts'])], ['LOCATION', (o) => String(spec(o)['location'] ?? '')], ['RESOLUTION', (o) => String(spec(o)['resolution'] ?? '')]]
          : [];
  const header = [...(allNamespaces ? ['NAMESPACE'] : []), 'NAME', ...columns.map((c) => c[0]), 'AGE'];
  const rows = found.map(({ object, mtimeMs }) => [...(allNamespaces ? [object.metadata?.namespace ?? 'default'] : []), String(object.metadata?.name), ...columns.map((c) => c[1](object)), humanDuration(Date.now() - mtimeMs)]);
  return renderTable(header, rows);
}

function logsCommand(): Command {
  return new Command('logs')
    .description("Print a container's output")
    .argument('<pod>', 'pod name')
    .option('-c, --container <name>', 'container (default: the pod\'s default container, else its first)')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('-f, --follow', 'keep printing what the container writes')
    .addOption(stateDirOption())
    .action(async (podName: string, opts: { container?: string; namespace: string; stateDir: string; follow?: boolean }) => {
      const { state, plan } = loadCluster(opts.stateDir);
      const pod = findPod(plan, podName, opts.namespace);
      const container = pickContainer(pod, opts.container);
      if (opts.container === undefined && pod.containers.length > 1) process.stderr.write(`Defaulted container "${container.container}" out of: ${[...pod.containers, ...pod.initContainers].map((c) => c.container).join(', ')}\n`);
      const file = state.logFile(pod.namespace, pod.name, container.container);
      if (!existsSync(file)) throw new UsageError(`container "${container.container}" in pod "${pod.name}" is waiting to start`);
      if (!opts.follow) {
        process.stdout.write(readFileSync(file));
        return;
      }
      await follow(file, () => state.exists());
    });
}

/** Prints a file as it grows, until `alive` says the cluster is gone (or the user interrupts). */
async function follow(file: string, alive: () => boolean): Promise<void> {
  let offset = 0;
  for (;;) {
    if (existsSync(file)) {
      const size = statSync(file).size;
      if (size > offset) {
        const fd = openSync(file, 'r');
        const buffer = Buffer.alloc(size - offset);
        readSync(fd, buffer, 0, buffer.length, offset);
        closeSync(fd);
        process.stdout.write(buffer);
        offset = size;
      }
    }
    if (!alive()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

function execCommand(): Command {
  return new Command('exec')
    .description("Run a command in a pod's network namespace with a container's uid, gid and environment")
    .argument('<pod>', 'pod name')
    .argument('<command...>', 'the command, after --')
    .option('-c, --container <name>', 'container whose user and environment to use')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('-i, --stdin', 'accepted for kubectl habits: stdin is always passed through')
    .option('-t, --tty', 'accepted for kubectl habits: the terminal is always passed through')
    .addOption(stateDirOption())
    .action((podName: string, command: string[], opts: { container?: string; namespace: string; stateDir: string }) => {
      const { plan } = loadCluster(opts.stateDir);
      const pod = findPod(plan, podName, opts.namespace);
      const container = pickContainer(pod, opts.container);
      const argv = podCommand(pod.netns, container.uid, container.gid, command, container.capabilities);
      const result = spawnSync(argv[0]!, argv.slice(1), { stdio: 'inherit', env: containerEnv(container, pod.name) });
      if (result.error) throw new UsageError(`exec: ${result.error.message}`);
      process.exitCode = result.status ?? 1;
    });
}

/**
 * Workloads, Services and the rest go to the supervisor, which converges the
 * running cluster to them; its answer is kubectl's lines, or the problems.
 */
async function toSupervisor(stateDir: string, state: StateDir, request: ClusterRequest): Promise<string[]> {
  if (request.objects.length === 0) return [];
  const pid = state.read().supervisorPid;
  if (!processAlive(pid)) throw new UsageError(`the supervisor (pid ${pid}) is not running, so workloads and Services cannot change; "outrigger down" cleans up`);
  const id = submitRequest(stateDir, request);
  const result = await awaitResult(stateDir, id, 120_000, () => processAlive(pid));
  if (!result) throw new UsageError(`the supervisor did not answer the ${request.op} (see ${state.supervisorLog})`);
  for (const line of result.lines) process.stdout.write(`${line}\n`);
  if (!result.ok) throw new UsageError(result.problems.length === 1 ? result.problems[0]! : `the ${request.op} has ${result.problems.length} problems:\n${result.problems.map((p) => `  - ${p}`).join('\n')}`);
  return result.lines;
}

function applyCommand(): Command {
  return new Command('apply')
    .description('Create or change objects of the running cluster: Istio configuration takes effect without restarts; new or changed workloads and Services are rolled out')
    .requiredOption('-f, --filename <path...>', 'a manifest file, or a directory of them')
    .addOption(stateDirOption())
    .action(async (opts: { filename: string[]; stateDir: string }) => {
      const { state } = loadCluster(opts.stateDir);
      const { istio, cluster } = splitApply(userErrors(() => loadManifests(opts.filename)));
      // Namespaces and workloads first: Istio configuration may live in a namespace created here.
      await toSupervisor(opts.stateDir, state, { op: 'apply', objects: cluster });
      const changes = userErrors(() => configChanges(istio, state.readPlan()));
      for (const change of changes) process.stdout.write(`${change.resource} ${state.writeConfig(change.file, change.yaml) ? 'configured' : 'created'}\n`);
    });
}

function deleteCommand(): Command {
  return new Command('delete')
    .description('Remove objects from the running cluster (their pods are stopped and removed)')
    .requiredOption('-f, --filename <path...>', 'a manifest file, or a directory of them')
    .addOption(stateDirOption())
    .action(async (opts: { filename: string[]; stateDir: string }) => {
      const { state, plan } = loadCluster(opts.stateDir);
      const { istio, cluster } = splitApply(userErrors(() => loadManifests(opts.filename)));
      const changes = userErrors(() => configChanges(istio, plan));
      const missing: string[] = [];
      for (const change of changes) {
        const [kind, name] = change.resource.split('/') as [string, string];
        if (state.deleteConfig(change.file)) process.stdout.write(`${kind} "${name}" deleted\n`);
        else missing.push(`Error from server (NotFound): ${kind.replace(/^([a-z]+)/, '$1s')} "${name}" not found`);
      }
      try {
        await toSupervisor(opts.stateDir, state, { op: 'delete', objects: cluster });
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        missing.push(error.message);
      }
      if (missing.length > 0) throw new UsageError(missing.join('\n'));
    });
}

function describeCommand(): Command {
  return new Command('describe')
    .description('Show one pod in detail, as kubectl describe pod does')
    .argument('<resource>', 'pod (po)')
    .argument('<name>', 'pod name')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .addOption(stateDirOption())
    .action((resource: string, name: string, opts: { namespace: string; stateDir: string }) => {
      if (!['pod', 'pods', 'po'].includes(resource)) throw new UsageError(`describe: the local runtime describes pods, not "${resource}"`);
      const { state, plan } = loadCluster(opts.stateDir);
      const pod = findPod(plan, name, opts.namespace);
      const record = state.readStatuses().find((s) => s.namespace === pod.namespace && s.name === pod.name);
      process.stdout.write(describePod(pod, record, plan.nodeName, plan.bridge.ip));
    });
}

function iptablesSaveCommand(): Command {
  return new Command('iptables-save')
    .description("A pod's iptables rules with packet and byte counters (the ISTIO_* chains when it has a sidecar)")
    .argument('<pod>', 'pod name; "node" for the node namespace (kube-proxy rules)')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('-t, --table <table>', 'only this table (nat, filter, mangle, raw)')
    .addOption(stateDirOption())
    .action((podName: string, opts: { namespace: string; table?: string; stateDir: string }) => {
      const { plan } = loadCluster(opts.stateDir);
      const netns = podName === 'node' ? plan.nodeNetns : findPod(plan, podName, opts.namespace).netns;
      const result = spawnSync('ip', ['netns', 'exec', netns, 'iptables-save', '-c', ...(opts.table ? ['-t', opts.table] : [])], { stdio: ['ignore', 'inherit', 'inherit'] });
      process.exitCode = result.status ?? 1;
    });
}

export function runtimeCommands(): Command[] {
  return [upCommand(), downCommand(), getCommand(), logsCommand(), execCommand(), applyCommand(), deleteCommand(), describeCommand(), iptablesSaveCommand()];
}
