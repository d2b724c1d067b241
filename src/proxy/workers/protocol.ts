// The messages between the main process and its workers over the fork IPC
// channel (structured clone, so decoded config crosses as it is). A listener's
// bound socket travels as the message's handle.
import type { ConfigUpdate } from './config-update.js';
import type { WorkerStats } from './stats-merge.js';

export type ToWorker =
  | { type: 'start'; index: number; logLevel?: string }
  /** Apply an update; a 'listener' update that needs a new socket carries it as the handle. */
  | { type: 'config'; id: number; update: ConfigUpdate }
  | { type: 'stats'; id: number }
  /** /drain_listeners: close this worker's copy of every listening socket. */
  | { type: 'stop-listening'; id: number }
  /** SIGTERM or shutdown (timeMs 0): stop accepting, give open connections timeMs, report the last stats, exit. */
  | { type: 'drain'; timeMs: number }
  | { type: 'log-level'; level: string };

export type FromWorker =
  | { type: 'reply'; id: number; error?: string; stats?: WorkerStats }
  | { type: 'final-stats'; stats: WorkerStats };

/** A request as the main process sends it; the id is added per worker. */
export type WorkerRequest = { type: 'config'; update: ConfigUpdate } | { type: 'stats' } | { type: 'stop-listening' };
