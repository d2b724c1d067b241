// `outrigger down`: removes everything the state directory records — the
// supervisor, every process in the cluster's network namespaces, the namespaces
// (their veths and rules go with them), the /etc/netns files and the staged
// copies — whether the supervisor stopped cleanly or crashed.
import { existsSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ETC_NETNS, removeEtcNetns, removeNetns } from './network.js';
import { processAlive, StateDir } from './state.js';

export interface TeardownReport {
  supervisor: 'stopped' | 'killed' | 'not running';
  netns: string[];
  files: string[];
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!processAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !processAlive(pid);
}

export async function teardown(stateDir: string, options: { graceMs?: number; keepLog?: boolean } = {}): Promise<TeardownReport> {
  const state = new StateDir(stateDir);
  const record = state.read();
  const report: TeardownReport = { supervisor: 'not running', netns: [], files: [] };
  const pid = record.supervisorPid;
  if (pid !== undefined && pid !== process.pid && processAlive(pid)) {
    // The supervisor stops its pods gracefully and removes what it made.
    process.kill(pid, 'SIGTERM');
    if (await waitGone(pid, options.graceMs ?? 15_000)) report.supervisor = 'stopped';
    else {
      process.kill(pid, 'SIGKILL');
      await waitGone(pid, 2000);
      report.supervisor = 'killed';
    }
  }
  // Whatever is left (all of it after a crash): pods first, the node last.
  const latest = state.exists() ? state.read() : record;
  for (const name of [...new Set(latest.netns)].reverse()) {
    await removeNetns(name);
    report.netns.push(name);
  }
  for (const dir of latest.etcNetns) {
    if (existsSync(dir)) report.files.push(dir);
    removeEtcNetns(dir);
  }
  // /etc/netns itself was made for our pods when it did not exist; an empty one can go.
  try {
    if (latest.etcNetns.length > 0 && readdirSync(ETC_NETNS).length === 0) rmdirSync(ETC_NETNS);
  } catch {
    // Absent, or in use by someone else.
  }
  for (const dir of latest.stages) {
    // Staged copies live in the temporary directory and carry our prefixes.
    if (/^outrigger-(samples|bin)-/.test(path.basename(dir))) rmSync(dir, { recursive: true, force: true });
  }
  for (const file of ['plan.json', 'objects.json', 'requests', 'status.json', ...(options.keepLog ? [] : ['supervisor.log']), 'logs', 'registry', 'state.json']) rmSync(path.join(stateDir, file), { recursive: true, force: true });
  try {
    if (readdirSync(stateDir).length === 0) rmdirSync(stateDir);
  } catch {
    // Not ours to remove, or gone.
  }
  return report;
}
