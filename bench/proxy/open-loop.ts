// Open-loop load generator, run as a child process (forked with IPC). Request i is scheduled
// at t0 + i/rate whatever happened to the earlier ones, and its latency is completion minus
// the scheduled time: when a setup stalls, the requests that queue behind the stall are
// counted late, not silently sent later (no coordinated omission).
//
// Node's timers tick in whole milliseconds, which at 1000 requests/s would add up to a
// millisecond of generator lag to every request. A worker thread therefore paces the schedule
// with Atomics.wait (sub-millisecond sleeps) and wakes this thread for each due request.
//
// Messages to the parent: {type: 'measuring'} when the first measured request is due (after
// the warm-up), then {type: 'result', ...} at the end.
import { Worker } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import { ClientConnection } from './http1-client.js';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string' },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '16' },
    body: { type: 'string', default: '1024' },
    'drain-timeout': { type: 'string', default: '5' },
  },
});
const port = Number(args.port);
const rate = Number(args.rate);
const connections = Number(args.connections);
const warmupCount = Math.round(Number(args.warmup) * rate);
const measuredCount = Math.round(Number(args.seconds) * rate);
const total = warmupCount + measuredCount;
const intervalNs = 1e9 / rate;
const bodySize = Number(args.body);
const request = Buffer.concat([
  Buffer.from(`POST /echo HTTP/1.1\r\nHost: server.bench.svc.cluster.local:8080\r\nContent-Type: application/octet-stream\r\nContent-Length: ${bodySize}\r\n\r\n`, 'latin1'),
  Buffer.alloc(bodySize, 'i'),
]);

const base = process.hrtime.bigint();
const now = () => Number(process.hrtime.bigint() - base);

export interface OpenLoopResult {
  type: 'result';
  scheduled: number;
  completed: number;
  errors: number;
  /** Sorted latencies of the measured requests, ms, from their scheduled send time. */
  latenciesMs: number[];
  /** Achieved rate over the measured window. */
  rps: number;
  /** How late the generator itself sent requests (send − scheduled), p99 in ms: its own noise floor. */
  sendLagP99Ms: number;
  firstErrors: string[];
}

const latencies = new Float64Array(measuredCount);
const sendLag = new Float64Array(measuredCount);
let completed = 0;
let errors = 0;
const firstErrors: string[] = [];
let nextToSchedule = 0;
let t0 = 0;
let lastCompletionNs = 0;
const queue: number[] = [];
let queueHead = 0;
const idle: ClientConnection[] = [];
let finish: () => void = () => undefined;

/** Counts a failed request; those of the warm-up only show in firstErrors. */
function recordError(reason: string, index: number): void {
  if (index >= warmupCount) errors++;
  if (firstErrors.length < 5) firstErrors.push(reason);
}

const events = {
  onResponse(connection: ClientConnection, status: number) {
    const done = now();
    const i = connection.index;
    if (status !== 200) recordError(`status ${status}`, i);
    else if (i >= warmupCount) {
      latencies[i - warmupCount] = (done - connection.scheduledNs) / 1e6;
      lastCompletionNs = done;
    }
    completed++;
    idle.push(connection);
    dispatch();
  },
  onFailure(connection: ClientConnection, reason: string) {
    completed++;
    recordError(reason, connection.index);
    idle.push(connection);
    dispatch();
  },
};

/** Sends every due request that has a free connection; the rest wait in the queue (and their wait counts). */
function dispatch(): void {
  while (queueHead < queue.length && idle.length > 0) {
    const i = queue[queueHead++]!;
    const scheduledNs = t0 + i * intervalNs;
    if (i >= warmupCount) sendLag[i - warmupCount] = (now() - scheduledNs) / 1e6;
    idle.pop()!.send(request, i, scheduledNs);
  }
  if (queueHead > 4096 && queueHead === queue.length) {
    queue.length = 0;
    queueHead = 0;
  }
  if (completed === total) finish();
}

function onTick(): void {
  const due = Math.min(total, Math.floor((now() - t0) / intervalNs) + 1);
  while (nextToSchedule < due) {
    if (nextToSchedule === warmupCount) process.send!({ type: 'measuring' });
    queue.push(nextToSchedule++);
  }
  dispatch();
}

/** The pacer: sleeps precisely until each scheduled time and posts the index. */
const PACER = `
const { parentPort, workerData } = require('node:worker_threads');
const cell = new Int32Array(new SharedArrayBuffer(4));
const base = BigInt(workerData.base);
const now = () => Number(process.hrtime.bigint() - base);
for (let i = 0; i < workerData.total; i++) {
  const wait = (workerData.t0 + i * workerData.intervalNs - now()) / 1e6;
  if (wait > 0) Atomics.wait(cell, 0, 0, wait);
  parentPort.postMessage(i);
}
`;

async function main(): Promise<void> {
  // The parent is gone (killed, or failed): nobody will read the result.
  process.on('disconnect', () => process.exit(1));
  const pool = Array.from({ length: connections }, () => new ClientConnection(port, events));
  await Promise.all(pool.map((c) => c.connected()));
  idle.push(...pool);
  t0 = now() + 20e6;
  const pacer = new Worker(PACER, { eval: true, workerData: { base: base.toString(), t0, intervalNs, total } });
  pacer.on('message', onTick);
  const lastScheduledNs = t0 + (total - 1) * intervalNs;
  await new Promise<void>((resolve) => {
    finish = resolve;
    // Requests still open this long after the last scheduled time count as errors (timeouts).
    const check = setInterval(() => {
      if (nextToSchedule === total && now() > lastScheduledNs + Number(args['drain-timeout']) * 1e9) {
        clearInterval(check);
        const open = total - completed;
        for (let k = 0; k < open; k++) recordError('no response before the drain timeout', total);
        resolve();
      }
    }, 100);
    check.unref();
  });
  await pacer.terminate();
  for (const c of pool) c.close();
  const measured = Array.from(latencies).filter((x) => x > 0).sort((a, b) => a - b);
  const lag = Array.from(sendLag).sort((a, b) => a - b);
  const windowNs = Math.max(lastCompletionNs, lastScheduledNs) - (t0 + warmupCount * intervalNs);
  const result: OpenLoopResult = {
    type: 'result',
    scheduled: measuredCount,
    completed: measured.length,
    errors,
    latenciesMs: measured,
    rps: measured.length / (windowNs / 1e9),
    sendLagP99Ms: lag[Math.floor(lag.length * 0.99)] ?? NaN,
    firstErrors,
  };
  process.send!(result, () => process.exit(0));
}

void main();
