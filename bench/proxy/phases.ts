// One load phase against one setup, with the CPU and memory of each proxy (and of the
// upstream, for context) sampled from /proc at the edges of the measured window.
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Chain } from './chains.js';
import type { OpenLoopResult } from './open-loop.js';
import { sample } from './proc-stats.js';
import type { ProcSample } from './proc-stats.js';
import { track } from './processes.js';
import type { Started } from './processes.js';
import { runWrk } from './wrk.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface ProcessUsage {
  name: string;
  /** CPU seconds used in the measured window. */
  cpuSeconds: number;
  /** Average cores busy over the window. */
  vcpu: number;
  cpuSecondsPer1000: number;
  /** VmHWM at the end of the phase: the peak since the process started. */
  peakRssBytes: number;
}

export interface PhaseResult {
  setup: string;
  load: 'rate' | 'max';
  rps: number;
  requests: number;
  errors: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  seconds: number;
  proxies: ProcessUsage[];
  upstream: ProcessUsage;
  /** Open loop only: the generator's own send lag, p99 ms. */
  sendLagP99Ms?: number;
  firstErrors?: string[];
}

interface Watched {
  name: string;
  pid: number;
}

function watched(chain: Chain, upstream: Started): Watched[] {
  return [...chain.proxies.map((p) => ({ name: p.name, pid: p.started.pid })), { name: 'upstream', pid: upstream.pid }];
}

function usage(list: Watched[], before: ProcSample[], after: ProcSample[], seconds: number, requests: number): ProcessUsage[] {
  return list.map((w, k) => {
    const cpuSeconds = after[k]!.cpuSeconds - before[k]!.cpuSeconds;
    return { name: w.name, cpuSeconds, vcpu: cpuSeconds / seconds, cpuSecondsPer1000: cpuSeconds / (requests / 1000), peakRssBytes: after[k]!.peakRssBytes };
  });
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

export interface OpenLoopOptions {
  root: string;
  rate: number;
  seconds: number;
  warmup: number;
  connections: number;
  body: number;
}

export async function openLoopPhase(chain: Chain, upstream: Started, o: OpenLoopOptions): Promise<PhaseResult> {
  const list = watched(chain, upstream);
  const generator = fork(
    path.join(here, 'open-loop.ts'),
    ['--port', String(chain.entryPort), '--rate', String(o.rate), '--seconds', String(o.seconds), '--warmup', String(o.warmup), '--connections', String(o.connections), '--body', String(o.body)],
    { execArgv: ['--import', 'tsx'], cwd: o.root, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  track(generator);
  let before: ProcSample[] = [];
  let startedAt = 0n;
  const result = await new Promise<OpenLoopResult>((resolve, reject) => {
    generator.on('message', (m: { type: string }) => {
      if (m.type === 'measuring') {
        before = list.map((w) => sample(w.pid));
        startedAt = process.hrtime.bigint();
      } else if (m.type === 'result') resolve(m as OpenLoopResult);
    });
    generator.on('exit', (code) => reject(new Error(`the open-loop generator exited (${code}) without a result`)));
  });
  const after = list.map((w) => sample(w.pid));
  const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  const all = usage(list, before, after, seconds, result.completed);
  const sorted = result.latenciesMs;
  return {
    setup: chain.setup,
    load: 'rate',
    rps: result.rps,
    requests: result.completed,
    errors: result.errors,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    seconds,
    proxies: all.slice(0, -1),
    upstream: all.at(-1)!,
    sendLagP99Ms: result.sendLagP99Ms,
    firstErrors: result.firstErrors,
  };
}

export interface MaxOptions {
  script: string;
  seconds: number;
  warmup: number;
  connections: number;
}

export async function maxPhase(chain: Chain, upstream: Started, o: MaxOptions): Promise<PhaseResult> {
  const list = watched(chain, upstream);
  // A short run first so that JIT-compiled code and pooled connections are in place.
  if (o.warmup > 0) await runWrk(chain.entryPort, o.script, o.connections, o.warmup);
  const before = list.map((w) => sample(w.pid));
  const startedAt = process.hrtime.bigint();
  const result = await runWrk(chain.entryPort, o.script, o.connections, o.seconds);
  const after = list.map((w) => sample(w.pid));
  const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  const all = usage(list, before, after, seconds, result.requests);
  return {
    setup: chain.setup,
    load: 'max',
    rps: result.rps,
    requests: result.requests,
    errors: result.errors,
    p50Ms: result.p50Ms,
    p90Ms: result.p90Ms,
    p99Ms: result.p99Ms,
    seconds,
    proxies: all.slice(0, -1),
    upstream: all.at(-1)!,
  };
}
