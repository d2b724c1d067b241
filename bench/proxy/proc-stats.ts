// CPU time and memory of a process by PID, read from /proc so that the proxies are measured
// from outside, the same way for Node and for HAProxy.
import { readFileSync } from 'node:fs';

/** USER_HZ: the unit of utime/stime in /proc/PID/stat; 100 on every Linux this runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

export interface ProcSample {
  /** User + system CPU seconds since the process started. */
  cpuSeconds: number;
  /** VmHWM: the peak resident set since the process started, in bytes. */
  peakRssBytes: number;
  rssBytes: number;
}

export function sample(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // comm (field 2) may hold spaces and parentheses: count fields from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND, peakRssBytes: kb('VmHWM'), rssBytes: kb('VmRSS') };
}
