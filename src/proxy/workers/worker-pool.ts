// The main process's workers (--concurrency N: the main process accepts too, so
// N-1 of them). The main process stays the one owner of the configuration: a new
// worker is given the configuration as it stands, and every later update is sent
// to all of them and waited for, so an xDS ACK means the update is in every
// process. Listening sockets are handed over, and the kernel spreads new
// connections over every process accepting on them. A worker that dies is
// restarted (its counters kept); all of them drain when the main process does,
// and die with it.
import type net from 'node:net';
import { scope } from '../../log/index.js';
import type { ConfigUpdate } from './config-update.js';
import { retire } from './stats-merge.js';
import type { WorkerStats } from './stats-merge.js';
import { WorkerProcess } from './worker-process.js';

const log = scope('proxy');

/** How long an update may take in a worker (STRICT_DNS warming) before the main process stops waiting. */
const UPDATE_TIMEOUT_MS = 30_000;
const STATS_TIMEOUT_MS = 2_000;
/** Envoy's default stats_flush_interval: how stale a crashed worker's kept counters can be. */
const STATS_REFRESH_MS = 5_000;
/** After the drain time, how long workers get to exit before they are killed. */
const EXIT_GRACE_MS = 5_000;
/** A worker that dies sooner than this after starting is restarted after a growing delay. */
const QUICK_EXIT_MS = 10_000;
const MAX_RESTART_DELAY_MS = 30_000;

export interface WorkerPoolOptions {
  /** Workers to fork. */
  count: number;
  logLevel?: string;
  /** The configuration as it stands, as updates (listeners with their bound sockets): what a new worker is given. */
  currentConfig(): { update: ConfigUpdate; socket?: net.Server }[];
}

export class WorkerPool {
  private readonly workers: WorkerProcess[] = [];
  /** Counters of workers that have exited. */
  private retired: WorkerStats = { stats: [], hosts: [] };
  private stopping = false;
  private listening = true;
  private quickExits = 0;
  private readonly restartTimers = new Set<NodeJS.Timeout>();
  private readonly refresh: NodeJS.Timeout;
  private readonly killOnExit = () => {
    for (const w of this.workers) w.kill();
  };

  constructor(private readonly options: WorkerPoolOptions) {
    // If the main process dies without shutting down, its workers must not outlive it.
    process.on('exit', this.killOnExit);
    this.refresh = setInterval(() => void this.stats(), STATS_REFRESH_MS).unref();
  }

  /** Forks every worker and waits until each has the configuration. */
  async start(): Promise<void> {
    const started = Array.from({ length: this.options.count }, (_, i) => this.spawn(i + 1));
    const failed = await Promise.race([
      Promise.all(started).then(() => undefined),
      ...this.workers.map((w) => w.exited.then((exit) => `worker ${w.index} exited while starting (${exit.signal ?? `code ${exit.code}`})`)),
    ]);
    if (failed) {
      await this.shutdown();
      throw new Error(failed);
    }
  }

  pids(): number[] {
    return this.running().map((w) => w.pid).filter((p): p is number => p !== undefined);
  }

  private running(): WorkerProcess[] {
    return this.workers.filter((w) => w.alive);
  }

  /** Applies an update in every worker (with a newly bound socket to hand over); waits for all of them. */
  async apply(update: ConfigUpdate, socket?: net.Server): Promise<void> {
    // A worker being restarted is skipped: it is given the configuration as it stands when it starts.
    await Promise.all(
      this.running().map(async (w) => {
        const reply = await w.request({ type: 'config', update }, UPDATE_TIMEOUT_MS, socket).catch((error: Error) => ({ error: error.message }));
        if (!reply.error || !w.alive) return;
        // The main process accepted the update, so a worker that refused it (or hangs) is out of step, and
        // might still accept on a socket the update replaced: it is restarted from the configuration as it stands.
        log.error(`worker ${w.index} (pid ${w.pid}): the ${update.kind} update failed: ${reply.error}; restarting the worker`);
        w.kill();
      }),
    );
  }

  /** What the workers have counted: those running now (their last report, if they do not answer in time), and those that have exited. */
  async stats(): Promise<{ live: WorkerStats[]; retired: WorkerStats }> {
    const running = this.running();
    const replies = await Promise.all(
      running.map((w) =>
        w
          .request({ type: 'stats' }, STATS_TIMEOUT_MS)
          .then((reply) => reply.stats)
          .catch(() => w.lastStats),
      ),
    );
    // A worker that exited meanwhile is counted in `retired` already.
    const live = replies.filter((s, i): s is WorkerStats => s !== undefined && running[i]!.alive);
    return { live, retired: this.retired };
  }

  setLogLevel(level: string): void {
    this.options.logLevel = level;
    for (const w of this.workers) w.post({ type: 'log-level', level });
  }

  /** /drain_listeners: every worker closes its copy of the listening sockets. */
  async stopListening(): Promise<void> {
    // A worker started now would have nothing to accept on.
    this.listening = false;
    await Promise.all(this.running().map((w) => w.request({ type: 'stop-listening' }, STATS_TIMEOUT_MS).catch(() => undefined)));
  }

  /** Every worker drains (open connections get timeMs) and exits; those still running after a grace period are killed. */
  async drain(timeMs: number): Promise<void> {
    this.stopping = true;
    clearInterval(this.refresh);
    for (const t of this.restartTimers) clearTimeout(t);
    for (const w of this.workers) w.post({ type: 'drain', timeMs });
    await Promise.all(
      this.workers.map(async (w) => {
        const timer = setTimeout(() => {
          log.warn(`worker ${w.index} (pid ${w.pid}) did not exit after draining: killing it`);
          w.kill();
        }, timeMs + EXIT_GRACE_MS);
        await w.exited;
        clearTimeout(timer);
      }),
    );
    process.removeListener('exit', this.killOnExit);
  }

  shutdown(): Promise<void> {
    return this.drain(0);
  }

  private spawn(index: number): Promise<void> {
    const worker = new WorkerProcess(index, this.options.logLevel);
    this.workers[index - 1] = worker;
    void worker.exited.then((exit) => this.onExit(worker, exit.code, exit.signal));
    // Sent in one go, before any later update can be: the worker sees the configuration, then what changed since.
    const given = this.options.currentConfig().map(({ update, socket }) => worker.request({ type: 'config', update }, UPDATE_TIMEOUT_MS, socket));
    return Promise.all(given).then(
      (replies) => {
        for (const r of replies) if (r.error) log.error(`worker ${index}: ${r.error}`);
        log.debug(`worker ${index} (pid ${worker.pid}) has the configuration: ${given.length} resources`);
      },
      // It exited meanwhile: the exit is reported and handled on its own.
      () => undefined,
    );
  }

  private onExit(worker: WorkerProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (worker.lastStats) this.retired = retire(this.retired, worker.lastStats);
    if (this.stopping) return;
    const lived = Date.now() - worker.startedAt;
    this.quickExits = lived < QUICK_EXIT_MS ? this.quickExits + 1 : 0;
    if (!this.listening) {
      log.error(`worker ${worker.index} (pid ${worker.pid}) exited (${signal ?? `code ${code}`}); listeners are drained, so it is not restarted`);
      return;
    }
    const delay = this.quickExits === 0 ? 0 : Math.min(MAX_RESTART_DELAY_MS, 500 * 2 ** (this.quickExits - 1));
    log.error(`worker ${worker.index} (pid ${worker.pid}) exited (${signal ?? `code ${code}`}); restarting it${delay ? ` in ${delay} ms` : ''}`);
    const timer = setTimeout(() => {
      this.restartTimers.delete(timer);
      if (this.stopping) return;
      void this.spawn(worker.index).then(() => {
        const current = this.workers[worker.index - 1];
        if (current?.alive) log.info(`worker ${worker.index} restarted (pid ${current.pid})`);
      });
    }, delay);
    this.restartTimers.add(timer);
  }
}
