// Where `proxy-config` reads a proxy's admin API: an address (host:port, a bare
// port on localhost, or a URL), or — as istioctl takes a pod — the name of a pod
// of the local runtime (POD or POD.NAMESPACE), whose admin API on 127.0.0.1:15000
// is only reachable from inside the pod's network namespace.
import { execFile } from 'node:child_process';
import { DEFAULT_STATE_DIR, StateDir } from '../runtime/state.js';
import { UsageError } from './errors.js';

export interface AdminTarget {
  /** How the target is named in messages. */
  describe: string;
  /** GET path on the admin API; resolves with the body, or rejects with a UsageError. */
  get(path: string): Promise<string>;
}

const ADMIN_PORT = 15000;

/** TARGET as an admin base URL when it is an address (host:port, [v6]:port, a bare port, a URL). */
function addressBase(target: string): string | undefined {
  if (/^\d+$/.test(target)) return `http://127.0.0.1:${target}`;
  if (/^https?:\/\//.test(target)) return target.replace(/\/$/, '');
  if (/^[^:/]+:\d+$/.test(target) || /^\[[^\]]+\]:\d+$/.test(target)) return `http://${target}`;
  return undefined;
}

function invalidTarget(target: string): UsageError {
  return new UsageError(`invalid target "${target}": give the proxy's admin address as host:port (e.g. 127.0.0.1:15000) or a pod of the local runtime`);
}

export function adminBase(target: string): string {
  const base = addressBase(target);
  if (base === undefined) throw invalidTarget(target);
  return base;
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

function addressTarget(base: string): AdminTarget {
  return {
    describe: base,
    async get(path) {
      let response: Response;
      try {
        response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(5000) });
      } catch (error) {
        throw new UsageError(`cannot reach the proxy's admin API at ${base}: ${failureReason(error)}`);
      }
      if (!response.ok) throw new UsageError(`${base}${path} returned HTTP ${response.status}`);
      return response.text();
    },
  };
}

/** A runtime pod: the admin API is read with curl inside the pod's network namespace. */
function podTarget(target: string, namespaceFlag: string | undefined, stateDir: string): AdminTarget {
  const dot = target.indexOf('.');
  const name = dot > 0 ? target.slice(0, dot) : target;
  const namespace = dot > 0 ? target.slice(dot + 1) : (namespaceFlag ?? 'default');
  const state = new StateDir(stateDir);
  if (!state.exists()) {
    throw new UsageError(`"${target}" is neither an admin address (host:port) nor a pod: no local runtime is running in ${stateDir} (set OUTRIGGER_STATE_DIR for another one)`);
  }
  let pod;
  try {
    pod = state.readPlan().pods.find((p) => p.name === name && p.namespace === namespace);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (!pod) throw new UsageError(`pods "${name}" not found in namespace "${namespace}"`);
  if (![...pod.containers, ...pod.initContainers].some((c) => c.container === 'istio-proxy')) throw new UsageError(`pod ${name}.${namespace} has no sidecar`);
  const netns = pod.netns;
  return {
    describe: `${name}.${namespace}`,
    get: (path) =>
      new Promise((resolve, reject) => {
        const url = `http://127.0.0.1:${ADMIN_PORT}${path}`;
        execFile('ip', ['netns', 'exec', netns, 'curl', '-sS', '--fail', '--max-time', '5', url], { maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
          if (error) reject(new UsageError(`cannot read ${name}.${namespace}'s admin API (${url} in ${netns}): ${stderr.trim() || error.message}`));
          else resolve(stdout);
        });
      }),
  };
}

export function adminTarget(target: string, options: { namespace?: string; stateDir?: string } = {}): AdminTarget {
  const base = addressBase(target);
  if (base !== undefined) return addressTarget(base);
  // Otherwise a pod: a DNS label, optionally with its namespace.
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)?$/.test(target)) throw invalidTarget(target);
  return podTarget(target, options.namespace, options.stateDir ?? process.env['OUTRIGGER_STATE_DIR'] ?? DEFAULT_STATE_DIR);
}
