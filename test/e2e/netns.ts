// Network namespaces for end-to-end tests: a "pod" namespace joined by a veth
// pair to a "peer" namespace (the rest of the network). Every namespace is named
// "ortest-*" and removed by dispose(), which tests call in a finally/after hook;
// scripts/test.sh also sweeps leftovers of an interrupted run.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { stage } from '../../src/stage/index.js';
import type { Stage } from '../../src/stage/index.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const outrigger = path.join(repoRoot, 'bin', 'outrigger');

// Endpoints run as the app's and the proxy's uids, which may not be able to read
// the checkout: they run from a world-readable copy, made once per test process.
let staged: Stage | undefined;
function endpointScript(): string {
  if (!staged) {
    staged = stage(['test/e2e/fixtures/endpoint.mjs'], 'ortest-stage-');
    process.on('exit', () => staged?.remove());
  }
  return staged.path('test/e2e/fixtures/endpoint.mjs');
}

export const POD_V4 = '10.250.0.1';
export const PEER_V4 = '10.250.0.2';
export const POD_V6 = 'fd00:250::1';
export const PEER_V6 = 'fd00:250::2';

/** Why e2e tests cannot run here, or undefined when they can. */
export function e2eUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root for network namespaces';
  if (spawnSync('ip', ['netns', 'list']).status !== 0) return 'ip netns is not available';
  if (spawnSync('iptables', ['--version']).status !== 0) return 'iptables is not installed';
  return undefined;
}

function sh(args: string[], input?: string): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(args[0]!, args.slice(1), { input, encoding: 'utf8' });
  return { status: result.status ?? 1, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

function must(args: string[]): string {
  const result = sh(args);
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

export class Namespace {
  constructor(readonly name: string) {}

  /** Runs a command in the namespace, as root or as the given uid/gid. */
  run(args: string[], options: { uid?: number; gid?: number; input?: string; env?: Record<string, string> } = {}): RunResult {
    return sh(this.command(args, options), options.input);
  }

  command(args: string[], options: { uid?: number; gid?: number; env?: Record<string, string> } = {}): string[] {
    const env = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`);
    const user = options.uid === undefined ? [] : ['setpriv', `--reuid=${options.uid}`, `--regid=${options.gid ?? options.uid}`, '--clear-groups', '--'];
    return ['ip', 'netns', 'exec', this.name, ...(env.length > 0 ? ['env', ...env] : []), ...user, ...args];
  }

  iptablesSave(family: 4 | 6 = 4): string {
    return must(['ip', 'netns', 'exec', this.name, family === 4 ? 'iptables-save' : 'ip6tables-save']);
  }
}

/**
 * Rules only, without the timestamps and counters that differ between two saves.
 * A table holding nothing but empty built-in chains with policy ACCEPT filters
 * nothing, so it counts as absent (iptables-nft creates such tables on first use).
 */
export function normaliseSave(text: string): string {
  const lines = text
    .split('\n')
    .filter((line) => !line.startsWith('#') && line !== '')
    .map((line) => line.replace(/\[\d+:\d+\]/, '[0:0]'));
  const out: string[] = [];
  let table: string[] = [];
  for (const line of lines) {
    table.push(line);
    if (line !== 'COMMIT') continue;
    const meaningful = table.some((l) => l.startsWith('-A ') || (l.startsWith(':') && !/^:(PREROUTING|INPUT|OUTPUT|FORWARD|POSTROUTING) ACCEPT /.test(l)));
    if (meaningful) out.push(...table);
    table = [];
  }
  return out.join('\n');
}

export class Endpoint {
  readonly lines: Record<string, unknown>[] = [];
  private waiters: { predicate: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  stderr = '';

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      this.lines.push(parsed);
      this.waiters = this.waiters.filter((w) => {
        if (!w.predicate(parsed)) return true;
        w.resolve(parsed);
        return false;
      });
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
  }

  next(event: string, timeoutMs = 5000): Promise<Record<string, unknown>> {
    const seen = this.lines.find((l) => l['event'] === event && !(l as { consumed?: boolean }).consumed);
    if (seen) {
      (seen as { consumed?: boolean }).consumed = true;
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${event}" from endpoint within ${timeoutMs} ms; stderr: ${this.stderr}`)), timeoutMs);
      this.waiters.push({
        predicate: (l) => l['event'] === event,
        resolve: (l) => {
          (l as { consumed?: boolean }).consumed = true;
          clearTimeout(timer);
          resolve(l);
        },
      });
    });
  }

  stop(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

export interface Topology {
  pod: Namespace;
  peer: Namespace;
  /** Starts a long-running endpoint in a namespace and waits until it is ready. */
  start(ns: Namespace, args: string[], options?: { uid?: number; gid?: number }): Promise<Endpoint>;
  /** Runs a one-shot endpoint (connect / udp-send) and returns its JSON line. */
  oneShot(ns: Namespace, args: string[], options?: { uid?: number; gid?: number }): Record<string, unknown>;
  /** Runs bin/outrigger in the pod namespace. */
  outrigger(args: string[], env?: Record<string, string>): RunResult;
  dispose(): void;
}

/** Creates pod and peer namespaces joined by a veth pair, IPv4 and IPv6. */
export function createTopology(): Topology {
  const id = randomBytes(3).toString('hex');
  const pod = new Namespace(`ortest-${id}-pod`);
  const peer = new Namespace(`ortest-${id}-peer`);
  const endpoints: Endpoint[] = [];
  const dispose = () => {
    for (const e of endpoints) e.stop();
    for (const ns of [pod, peer]) sh(['ip', 'netns', 'del', ns.name]);
  };
  try {
    must(['ip', 'netns', 'add', pod.name]);
    must(['ip', 'netns', 'add', peer.name]);
    must(['ip', 'link', 'add', `o${id}a`, 'netns', pod.name, 'type', 'veth', 'peer', 'name', `o${id}b`, 'netns', peer.name]);
    for (const [ns, dev, v4, v6] of [[pod, `o${id}a`, POD_V4, POD_V6], [peer, `o${id}b`, PEER_V4, PEER_V6]] as const) {
      must(['ip', '-n', ns.name, 'link', 'set', 'lo', 'up']);
      must(['ip', '-n', ns.name, 'addr', 'add', `${v4}/24`, 'dev', dev]);
      must(['ip', '-n', ns.name, '-6', 'addr', 'add', `${v6}/64`, 'dev', dev, 'nodad']);
      must(['ip', '-n', ns.name, 'link', 'set', dev, 'up']);
    }
  } catch (error) {
    dispose();
    throw error;
  }

  return {
    pod,
    peer,
    async start(ns, args, options = {}) {
      const cmd = ns.command([process.execPath, endpointScript(), ...args], options);
      const endpoint = new Endpoint(spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }));
      endpoints.push(endpoint);
      await endpoint.next('ready');
      return endpoint;
    },
    oneShot(ns, args, options = {}) {
      const result = ns.run([process.execPath, endpointScript(), ...args], options);
      const line = result.stdout.trim().split('\n').pop() ?? '';
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`endpoint printed no result (status ${result.status}): ${result.stderr}`);
      }
    },
    outrigger(args, env = {}) {
      return pod.run([process.execPath, outrigger, ...args], { env });
    },
    dispose,
  };
}
