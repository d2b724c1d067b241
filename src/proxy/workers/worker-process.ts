// The main process's side of one worker: forks it, numbers its requests and
// matches the replies, and reports its exit. A request to a worker that has
// exited (or does not answer in time) fails rather than waiting forever.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FromWorker, ToWorker, WorkerRequest } from './protocol.js';
import type { WorkerStats } from './stats-merge.js';

type Reply = Extract<FromWorker, { type: 'reply' }>;

interface Pending {
  resolve(reply: Reply): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

// worker-main.ts beside this file when running from source (tsx), worker-main.js when built.
const here = fileURLToPath(import.meta.url);
const ENTRY = path.join(path.dirname(here), `worker-main${path.extname(here)}`);

/** The main process's node flags (tsx's loader when run from source), less a debugger's port, which a second process cannot share. */
function workerExecArgv(): string[] {
  return process.execArgv.filter((a) => !/^--inspect(-brk|-port|-wait)?(=|$)/.test(a));
}

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class WorkerProcess {
  readonly child: ChildProcess;
  readonly startedAt = Date.now();
  /** The last stats it reported (kept when it exits: its counters must not be lost). */
  lastStats: WorkerStats | undefined;
  readonly exited: Promise<WorkerExit>;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(readonly index: number, logLevel: string | undefined) {
    this.child = fork(ENTRY, [], { execArgv: workerExecArgv(), serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    // A send to a worker that has just died fails here; its exit is handled below.
    this.child.on('error', () => undefined);
    this.child.on('message', (message: FromWorker) => this.onMessage(message));
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        for (const p of this.pending.values()) {
          clearTimeout(p.timer);
          p.reject(new Error(`worker ${index} exited`));
        }
        this.pending.clear();
        resolve({ code, signal });
      });
    });
    this.post({ type: 'start', index, ...(logLevel ? { logLevel } : {}) });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends a request (with a socket to hand over, if any) and resolves with the worker's reply. */
  request(request: WorkerRequest, timeoutMs: number, socket?: net.Server): Promise<Reply> {
    if (!this.alive || !this.child.connected) return Promise.reject(new Error(`worker ${this.index} is not running`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`worker ${this.index} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.post({ ...request, id } as ToWorker, socket);
    });
  }

  post(message: ToWorker, socket?: net.Server): void {
    if (!this.child.connected) return;
    try {
      // A socket the main process has closed meanwhile cannot be sent: the update goes without it.
      this.child.send(message, socket?.listening ? socket : undefined, () => undefined);
    } catch {
      // The channel closed: the exit handler takes over.
    }
  }

  kill(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }

  private onMessage(message: FromWorker): void {
    if (message.type === 'final-stats') {
      this.lastStats = message.stats;
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    clearTimeout(pending.timer);
    if (message.stats) this.lastStats = message.stats;
    pending.resolve(message);
  }
}
