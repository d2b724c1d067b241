// A container of a pod spec turned into what the runner starts: which program,
// which arguments, environment, user, working directory, restart policy and
// probes. Pure: everything the spec refers to (the pod's IP, ConfigMaps, the
// Services of its namespace) is passed in.
import { parseQuantity } from '../kube/quantity.js';

type Json = Record<string, unknown>;

export type Program = { kind: 'outrigger' } | { kind: 'host'; path: string };

export type ProbeAction =
  | { kind: 'http'; port: number; path: string; scheme: 'HTTP' | 'HTTPS'; host?: string; headers: [string, string][] }
  | { kind: 'tcp'; port: number; host?: string }
  /** `outrigger: true`: command[0] was pilot-agent (or outrigger) in the proxy image, run by the local CLI. */
  | { kind: 'exec'; command: string[]; outrigger?: boolean };

/** A lifecycle hook: what a probe can do, or sleep. */
export type HookAction = ProbeAction | { kind: 'sleep'; seconds: number };

export interface Probe {
  action: ProbeAction;
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export interface LaunchSpec {
  container: string;
  /** An init container that runs to completion before the containers start. */
  init: boolean;
  /** A native sidecar: an init container with restartPolicy Always, started first and kept running. */
  nativeSidecar: boolean;
  image: string;
  program: Program;
  args: string[];
  env: [string, string][];
  uid: number;
  gid: number;
  workingDir?: string;
  restartPolicy: RestartPolicy;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  /** Runs right after the start; the next container waits for it (holdApplicationUntilProxyStarts). */
  postStart?: HookAction;
  /** Runs before SIGTERM when the container is stopped. */
  preStop?: HookAction;
  /** Capabilities of a root container (lower case, as setpriv names them); 'all' when privileged. */
  capabilities: string[] | 'all';
}

// Linux capabilities by the names kube uses (without CAP_).
const KNOWN_CAPABILITIES = new Set(
  'CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE'.split(' '),
);

/** What a container runtime grants a root container that asks for nothing (containerd's and Docker's default). */
export const DEFAULT_CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE'];

/** securityContext.capabilities and privileged → the capability set, as setpriv names them. */
export function capabilitySet(securityContext: unknown, field: string): string[] | 'all' {
  if (!isMap(securityContext)) return DEFAULT_CAPABILITIES.map((c) => c.toLowerCase());
  if (securityContext['privileged'] === true) return 'all';
  const caps = isMap(securityContext['capabilities']) ? securityContext['capabilities'] : {};
  const names = (key: 'add' | 'drop') =>
    strings(caps[key], `${field}.capabilities.${key}`).map((raw) => {
      const name = raw.toUpperCase().replace(/^CAP_/, '');
      if (name !== 'ALL' && !KNOWN_CAPABILITIES.has(name)) throw new LaunchError(`${field}.capabilities.${key}`, `"${raw}" is not a Linux capability`);
      return name;
    });
  const drop = names('drop');
  const add = names('add');
  if (add.includes('ALL')) return 'all';
  const base = drop.includes('ALL') ? [] : DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c));
  return [...new Set([...base, ...add])].map((c) => c.toLowerCase());
}

/** What a container's spec may refer to, gathered by the planner. */
export interface LaunchContext {
  podName: string;
  podNamespace: string;
  podUid: string;
  podIP: string;
  hostIP: string;
  nodeName: string;
  serviceAccount: string;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  /** ConfigMaps of the pod's namespace: name → data. */
  configMaps: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** Docker-link-style variables kube gives every container for the Services of its namespace. */
  serviceEnv: readonly [string, string][];
  /** Variables the runtime offers to $(…) in commands and env, such as OUTRIGGER_SAMPLES. */
  runtimeVars: Readonly<Record<string, string>>;
  /** Finds a program on this machine: an absolute path, or undefined. */
  resolveProgram(name: string): string | undefined;
}

/** A problem with a field of the container, named by its path from the container. */
export class LaunchError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/** Images whose entrypoint is Outrigger itself (Istio's proxyv2 and ours). */
export function isProxyImage(image: string): boolean {
  const name = image.split('@')[0]!.split('/').pop()!.split(':')[0]!;
  return /proxyv2|outrigger/.test(name);
}

function isMap(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function strings(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' && typeof v !== 'number')) throw new LaunchError(field, 'must be a list of strings');
  return value.map(String);
}

/**
 * Kubernetes' $(VAR) expansion: a defined variable is replaced, an undefined one
 * is left as written, and $$ escapes a dollar.
 */
export function expandVars(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return vars.get(name!) ?? match;
  });
}

function fieldRefValue(path: string, ctx: LaunchContext, field: string): string {
  const annotation = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (annotation) return (annotation[1] === 'labels' ? ctx.labels : ctx.annotations)[annotation[2]!] ?? '';
  switch (path) {
    case 'metadata.name':
      return ctx.podName;
    case 'metadata.namespace':
      return ctx.podNamespace;
    case 'metadata.uid':
      return ctx.podUid;
    case 'metadata.labels':
      return Object.entries(ctx.labels).map(([k, v]) => `${k}="${v}"`).join('\n');
    case 'metadata.annotations':
      return Object.entries(ctx.annotations).map(([k, v]) => `${k}="${v}"`).join('\n');
    case 'spec.serviceAccountName':
      return ctx.serviceAccount;
    case 'spec.nodeName':
      return ctx.nodeName;
    case 'status.podIP':
    case 'status.podIPs':
      return ctx.podIP;
    case 'status.hostIP':
    case 'status.hostIPs':
      return ctx.hostIP;
    default:
      throw new LaunchError(field, `fieldPath "${path}" is not supported`);
  }
}

function resourceValue(ref: Json, container: Json, field: string): string {
  const resource = String(ref['resource'] ?? '');
  const [section, name] = resource.split('.') as [string, string | undefined];
  if ((section !== 'limits' && section !== 'requests') || (name !== 'cpu' && name !== 'memory' && name !== 'ephemeral-storage')) {
    throw new LaunchError(field, `resource "${resource}" is not supported`);
  }
  const resources = isMap(container['resources']) ? container['resources'] : {};
  const limits = isMap(resources['limits']) ? resources['limits'] : {};
  const requests = isMap(resources['requests']) ? resources['requests'] : {};
  const raw = (section === 'limits' ? limits[name] : requests[name] ?? limits[name]) as string | number | undefined;
  // Without a limit, kube reports the node's allocatable amount; one machine's CPUs will do.
  if (raw === undefined) return name === 'cpu' ? '1' : '0';
  const divisor = ref['divisor'] === undefined ? 1_000_000_000n : parseQuantity(ref['divisor'] as string).nanos;
  const nanos = parseQuantity(raw).nanos;
  // Kube rounds up: 100m of CPU with divisor 1 is "1".
  return ((nanos + divisor - 1n) / divisor).toString();
}

function buildEnv(container: Json, ctx: LaunchContext, prefix: string): [string, string][] {
  const vars = new Map<string, string>(Object.entries(ctx.runtimeVars));
  const out = new Map<string, string>(ctx.serviceEnv);
  const envFrom = container['envFrom'];
  if (envFrom !== undefined) {
    if (!Array.isArray(envFrom)) throw new LaunchError(`${prefix}.envFrom`, 'must be a list');
    envFrom.forEach((source: unknown, i) => {
      const field = `${prefix}.envFrom[${i}]`;
      if (!isMap(source) || !isMap(source['configMapRef'])) throw new LaunchError(field, 'only configMapRef is supported');
      const name = String(source['configMapRef']['name'] ?? '');
      const data = ctx.configMaps.get(name);
      if (!data) {
        if (source['configMapRef']['optional'] === true) return;
        throw new LaunchError(`${field}.configMapRef.name`, `ConfigMap "${ctx.podNamespace}/${name}" is not in the manifests`);
      }
      const pre = typeof source['prefix'] === 'string' ? source['prefix'] : '';
      for (const [k, v] of Object.entries(data)) out.set(pre + k, v);
    });
  }
  const env = container['env'];
  if (env !== undefined && !Array.isArray(env)) throw new LaunchError(`${prefix}.env`, 'must be a list');
  for (const [i, entry] of ((env as unknown[] | undefined) ?? []).entries()) {
    const field = `${prefix}.env[${i}]`;
    if (!isMap(entry) || typeof entry['name'] !== 'string' || entry['name'] === '') throw new LaunchError(`${field}.name`, 'is required');
    const name = entry['name'];
    let value: string;
    if (isMap(entry['valueFrom'])) {
      const from = entry['valueFrom'];
      if (isMap(from['fieldRef'])) value = fieldRefValue(String(from['fieldRef']['fieldPath'] ?? ''), ctx, `${field}.valueFrom.fieldRef.fieldPath`);
      else if (isMap(from['resourceFieldRef'])) value = resourceValue(from['resourceFieldRef'], container, `${field}.valueFrom.resourceFieldRef`);
      else if (isMap(from['configMapKeyRef'])) {
        const ref = from['configMapKeyRef'];
        const data = ctx.configMaps.get(String(ref['name'] ?? ''));
        const found = data?.[String(ref['key'] ?? '')];
        if (found === undefined) {
          if (ref['optional'] === true) continue;
          throw new LaunchError(`${field}.valueFrom.configMapKeyRef`, `key "${String(ref['key'])}" of ConfigMap "${ctx.podNamespace}/${String(ref['name'])}" is not in the manifests`);
        }
        value = found;
      } else throw new LaunchError(`${field}.valueFrom`, 'only fieldRef, resourceFieldRef and configMapKeyRef are supported (no Secrets in the local runtime yet)');
    } else {
      // Earlier variables of the same container, and the service variables, expand here.
      value = expandVars(entry['value'] === undefined || entry['value'] === null ? '' : String(entry['value']), new Map([...vars, ...out]));
    }
    out.set(name, value);
  }
  return [...out];
}

function intField(value: unknown, fallback: number, field: string): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new LaunchError(field, 'must be a non-negative integer');
  return value;
}

function resolvePort(port: unknown, container: Json, field: string): number {
  if (typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536) return port;
  if (typeof port === 'string' && /^\d+$/.test(port)) return Number(port);
  if (typeof port === 'string') {
    const ports = Array.isArray(container['ports']) ? (container['ports'] as unknown[]) : [];
    const named = ports.find((p) => isMap(p) && p['name'] === port) as Json | undefined;
    if (named && typeof named['containerPort'] === 'number') return named['containerPort'];
    throw new LaunchError(field, `no container port is named "${port}"`);
  }
  throw new LaunchError(field, 'must be a port number or a port name');
}

// pilot-agent is the proxy image's other program; here the outrigger CLI stands in for both.
const PROXY_IMAGE_PROGRAMS = new Set(['pilot-agent', 'outrigger', 'istio-iptables']);

/** In the proxy image, `pilot-agent wait` is run as `outrigger wait`. */
export function proxyImageExec(action: ProbeAction, image: string): ProbeAction {
  if (action.kind !== 'exec' || !isProxyImage(image)) return action;
  const program = action.command[0]!.split('/').pop()!;
  if (!PROXY_IMAGE_PROGRAMS.has(program)) return action;
  return { kind: 'exec', command: program === 'istio-iptables' ? action.command : action.command.slice(1), outrigger: true };
}

function parseHook(value: unknown, container: Json, field: string): HookAction | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isMap(value)) throw new LaunchError(field, 'must be a map');
  if (isMap(value['sleep'])) return { kind: 'sleep', seconds: intField(value['sleep']['seconds'], 0, `${field}.sleep.seconds`) };
  const action = parseAction(value, container, field, 'needs exec, httpGet, tcpSocket or sleep');
  return proxyImageExec(action, typeof container['image'] === 'string' ? container['image'] : '');
}

function parseAction(value: Json, container: Json, field: string, missing: string): ProbeAction {
  let action: ProbeAction;
  if (isMap(value['httpGet'])) {
    const h = value['httpGet'];
    const headers = (Array.isArray(h['httpHeaders']) ? (h['httpHeaders'] as Json[]) : []).map((x) => [String(x['name']), String(x['value'])] as [string, string]);
    action = {
      kind: 'http',
      port: resolvePort(h['port'], container, `${field}.httpGet.port`),
      path: typeof h['path'] === 'string' ? h['path'] : '/',
      scheme: h['scheme'] === 'HTTPS' ? 'HTTPS' : 'HTTP',
      ...(typeof h['host'] === 'string' ? { host: h['host'] } : {}),
      headers,
    };
  } else if (isMap(value['tcpSocket'])) {
    const t = value['tcpSocket'];
    action = { kind: 'tcp', port: resolvePort(t['port'], container, `${field}.tcpSocket.port`), ...(typeof t['host'] === 'string' ? { host: t['host'] } : {}) };
  } else if (isMap(value['exec'])) {
    const command = strings(value['exec']['command'], `${field}.exec.command`);
    if (command.length === 0) throw new LaunchError(`${field}.exec.command`, 'is required');
    action = { kind: 'exec', command };
  } else {
    throw new LaunchError(field, missing);
  }
  return action;
}

export function parseProbe(value: unknown, container: Json, field: string): Probe | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isMap(value)) throw new LaunchError(field, 'must be a map');
  const action = proxyImageExec(parseAction(value, container, field, 'needs httpGet, tcpSocket or exec (grpc probes are not supported yet)'), typeof container['image'] === 'string' ? container['image'] : '');
  return {
    action,
    initialDelaySeconds: intField(value['initialDelaySeconds'], 0, `${field}.initialDelaySeconds`),
    periodSeconds: Math.max(1, intField(value['periodSeconds'], 10, `${field}.periodSeconds`)),
    timeoutSeconds: Math.max(1, intField(value['timeoutSeconds'], 1, `${field}.timeoutSeconds`)),
    successThreshold: Math.max(1, intField(value['successThreshold'], 1, `${field}.successThreshold`)),
    failureThreshold: Math.max(1, intField(value['failureThreshold'], 3, `${field}.failureThreshold`)),
  };
}

function securityId(container: Json, podSpec: Json, key: 'runAsUser' | 'runAsGroup'): number | undefined {
  for (const source of [container['securityContext'], podSpec['securityContext']]) {
    if (isMap(source) && typeof source[key] === 'number') return source[key];
  }
  return undefined;
}

/**
 * The launch spec of one container. `prefix` names the container in errors, e.g.
 * `spec.template.spec.containers[0]`.
 */
export function launchSpec(container: Json, podSpec: Json, init: boolean, ctx: LaunchContext, prefix: string): LaunchSpec {
  const name = container['name'];
  if (typeof name !== 'string' || name === '') throw new LaunchError(`${prefix}.name`, 'is required');
  const image = typeof container['image'] === 'string' ? container['image'] : '';
  const env = buildEnv(container, ctx, prefix);
  const vars = new Map([...Object.entries(ctx.runtimeVars), ...env]);
  const command = strings(container['command'], `${prefix}.command`).map((c) => expandVars(c, vars));
  const args = strings(container['args'], `${prefix}.args`).map((a) => expandVars(a, vars));

  let program: Program;
  let programArgs: string[];
  if (command.length > 0) {
    const path = ctx.resolveProgram(command[0]!);
    if (path === undefined) throw new LaunchError(`${prefix}.command`, `"${command[0]}" is not a program on this machine (the local runtime runs commands, not images)`);
    program = { kind: 'host', path };
    programArgs = [...command.slice(1), ...args];
  } else if (isProxyImage(image)) {
    // The proxy image's entrypoint is pilot-agent; ours is the outrigger command line.
    program = { kind: 'outrigger' };
    programArgs = args;
  } else {
    throw new LaunchError(`${prefix}.command`, `image "${image}" is not a known local program: give the container a command that exists on this machine`);
  }

  const containerPolicy = container['restartPolicy'];
  const podPolicy = podSpec['restartPolicy'] ?? 'Always';
  if (!['Always', 'OnFailure', 'Never'].includes(String(podPolicy))) throw new LaunchError('spec.restartPolicy', `"${String(podPolicy)}" is not Always, OnFailure or Never`);
  const nativeSidecar = init && containerPolicy === 'Always';
  // Init containers run to completion and are retried unless the pod says Never.
  const restartPolicy: RestartPolicy = nativeSidecar ? 'Always' : init ? (podPolicy === 'Never' ? 'Never' : 'OnFailure') : (podPolicy as RestartPolicy);

  // An init container that asks for NET_ADMIN (istio-init) runs as root, as in kube where
  // the capability is granted; otherwise the securityContext decides, root by default.
  const uid = securityId(container, podSpec, 'runAsUser') ?? 0;
  const gid = securityId(container, podSpec, 'runAsGroup') ?? 0;

  const spec: LaunchSpec = {
    container: name,
    init,
    nativeSidecar,
    image,
    program,
    args: programArgs,
    env,
    uid,
    gid,
    restartPolicy,
    capabilities: capabilitySet(container['securityContext'], `${prefix}.securityContext`),
  };
  if (typeof container['workingDir'] === 'string' && container['workingDir'] !== '') spec.workingDir = container['workingDir'];
  // Plain init containers have no probes in kube; native sidecars do.
  if (!init || nativeSidecar) {
    const readiness = parseProbe(container['readinessProbe'], container, `${prefix}.readinessProbe`);
    const liveness = parseProbe(container['livenessProbe'], container, `${prefix}.livenessProbe`);
    const startup = parseProbe(container['startupProbe'], container, `${prefix}.startupProbe`);
    if (readiness) spec.readinessProbe = readiness;
    if (liveness) spec.livenessProbe = liveness;
    if (startup) spec.startupProbe = startup;
  }
  const lifecycle = container['lifecycle'];
  if (lifecycle !== undefined && lifecycle !== null) {
    if (!isMap(lifecycle)) throw new LaunchError(`${prefix}.lifecycle`, 'must be a map');
    const postStart = parseHook(lifecycle['postStart'], container, `${prefix}.lifecycle.postStart`);
    const preStop = parseHook(lifecycle['preStop'], container, `${prefix}.lifecycle.preStop`);
    if (postStart) spec.postStart = postStart;
    if (preStop) spec.preStop = preStop;
  }
  return spec;
}

/** FOO_SERVICE_HOST, FOO_SERVICE_PORT and FOO_SERVICE_PORT_HTTP for each Service with a VIP. */
export function serviceEnvironment(services: readonly { name: string; clusterIP: string; ports: readonly { name?: string; port: number }[] }[]): [string, string][] {
  const out: [string, string][] = [];
  for (const svc of services) {
    if (svc.clusterIP === 'None' || svc.ports.length === 0) continue;
    const prefix = svc.name.toUpperCase().replace(/-/g, '_');
    out.push([`${prefix}_SERVICE_HOST`, svc.clusterIP], [`${prefix}_SERVICE_PORT`, String(svc.ports[0]!.port)]);
    for (const port of svc.ports) if (port.name) out.push([`${prefix}_SERVICE_PORT_${port.name.toUpperCase().replace(/-/g, '_')}`, String(port.port)]);
  }
  return out;
}
