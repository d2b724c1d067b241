// Closed-loop maximum throughput with wrk (Debian): C, one thread, so the generator takes as
// little of the 2 vCPUs from the setup under test as possible; the same run for every setup.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { start } from './processes.js';

export interface WrkResult {
  requests: number;
  seconds: number;
  rps: number;
  errors: number;
  /** wrk's latency distribution, ms (closed loop: from the actual send). */
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
}

/** The POST with a body of `bodySize` bytes, as the open-loop generator sends it. */
export function writeWrkScript(dir: string, bodySize: number): string {
  const file = path.join(dir, 'post.lua');
  writeFileSync(
    file,
    [
      'wrk.method = "POST"',
      `wrk.body = string.rep("i", ${bodySize})`,
      'wrk.headers["Host"] = "server.bench.svc.cluster.local:8080"',
      'wrk.headers["Content-Type"] = "application/octet-stream"',
      '',
    ].join('\n'),
  );
  return file;
}

function ms(value: string, unit: string): number {
  const scale: Record<string, number> = { us: 1e-3, ms: 1, s: 1e3, m: 6e4 };
  return Number(value) * (scale[unit] ?? NaN);
}

export function parseWrk(text: string): WrkResult {
  const latency = (p: number) => {
    const m = new RegExp(`^\\s*${p}(?:\\.000)?%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(text);
    return m ? ms(m[1]!, m[2]!) : NaN;
  };
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(text);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  if (!total) throw new Error(`could not read wrk's output:\n${text}`);
  const requests = Number(total[1]);
  const seconds = ms(total[2]!, total[3]!) / 1e3;
  const errors = (socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0) + Number(non2xx?.[1] ?? 0);
  return { requests, seconds, rps: requests / seconds, errors, p50Ms: latency(50), p90Ms: latency(90), p99Ms: latency(99) };
}

export async function runWrk(port: number, script: string, connections: number, seconds: number): Promise<WrkResult> {
  const run = start('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, `http://127.0.0.1:${port}/echo`]);
  let out = '';
  run.child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => run.child.on('exit', (c) => resolve(c)));
  if (code !== 0) throw new Error(`wrk exited with ${code}:\n${run.output()}`);
  return parseWrk(out);
}
