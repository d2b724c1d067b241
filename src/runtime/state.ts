// The state directory of a running cluster: what was created (recorded before it
// is created, so that `outrigger down` can remove it even after a crash), the
// plan, the pods' statuses and the containers' logs.
//
//   state.json     the record: supervisor pid, network namespaces, /etc/netns dirs, staged copies
//   plan.json      the cluster plan (pods, services, launch specs)
//   objects.json   the objects it was planned from (manifests, then what apply/delete changed)
//   requests/      apply/delete requests to the supervisor and its answers
//   status.json    pod statuses, rewritten by the supervisor on every change
//   logs/          one file per container: <namespace>_<pod>_<container>.log
//   registry/      the cluster as Kubernetes objects, for `outrigger discovery --configDir`:
//                  cluster.yaml (Services, Pods) and config/ (one file per Istio object)
//   supervisor.log the supervisor's own output
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ClusterPlan } from './plan.js';
import type { SourcedObject } from './manifests.js';
import type { PodStatus } from './status.js';
import type { PodEvent } from './events.js';

export const DEFAULT_STATE_DIR = '/run/outrigger';

export interface StateRecord {
  version: 1;
  supervisorPid?: number;
  startedAt: string;
  netnsPrefix: string;
  /** Network namespaces in the order they were created; removed in reverse. */
  netns: string[];
  /** /etc/netns/<name> directories holding a pod's hosts and resolv.conf. */
  etcNetns: string[];
  /** World-readable copies of code made for containers of other uids. */
  stages: string[];
}

export interface PodStatusRecord {
  namespace: string;
  name: string;
  phase: string;
  ready: boolean;
  startedAt?: string;
  status: PodStatus;
  events?: PodEvent[];
}

export class StateError extends Error {}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export class StateDir {
  constructor(readonly dir: string) {}

  get recordFile(): string {
    return path.join(this.dir, 'state.json');
  }

  logFile(namespace: string, pod: string, container: string): string {
    return path.join(this.dir, 'logs', `${namespace}_${pod}_${container}.log`);
  }

  get supervisorLog(): string {
    return path.join(this.dir, 'supervisor.log');
  }

  exists(): boolean {
    return existsSync(this.recordFile);
  }

  create(record: StateRecord): void {
    mkdirSync(path.join(this.dir, 'logs'), { recursive: true, mode: 0o755 });
    writeAtomic(this.recordFile, JSON.stringify(record, null, 2));
  }

  read(): StateRecord {
    if (!this.exists()) throw new StateError(`no cluster is running here (${this.recordFile} does not exist); start one with "outrigger up -f PATH"`);
    return JSON.parse(readFileSync(this.recordFile, 'utf8')) as StateRecord;
  }

  /** Changes the record; call before creating what it records. */
  update(change: (record: StateRecord) => void): StateRecord {
    const record = this.read();
    change(record);
    writeAtomic(this.recordFile, JSON.stringify(record, null, 2));
    return record;
  }

  writePlan(plan: ClusterPlan): void {
    writeAtomic(path.join(this.dir, 'plan.json'), JSON.stringify(plan));
  }

  readPlan(): ClusterPlan {
    const file = path.join(this.dir, 'plan.json');
    if (!existsSync(file)) throw new StateError(`the cluster in ${this.dir} has no plan yet (it is starting, or failed to start: see ${this.supervisorLog})`);
    return JSON.parse(readFileSync(file, 'utf8')) as ClusterPlan;
  }

  writeObjects(objects: readonly SourcedObject[]): void {
    writeAtomic(path.join(this.dir, 'objects.json'), JSON.stringify(objects));
  }

  readObjects(): SourcedObject[] {
    const file = path.join(this.dir, 'objects.json');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as SourcedObject[]) : [];
  }

  get registryDir(): string {
    return path.join(this.dir, 'registry');
  }

  /** The registry file is replaced by a rename, so a watcher never reads half of it. */
  writeRegistry(yaml: string): void {
    mkdirSync(this.registryDir, { recursive: true, mode: 0o755 });
    const tmp = path.join(this.registryDir, `.cluster.yaml.${process.pid}.tmp`);
    writeFileSync(tmp, yaml);
    renameSync(tmp, path.join(this.registryDir, 'cluster.yaml'));
  }

  get configDir(): string {
    return path.join(this.registryDir, 'config');
  }

  /** Writes one Istio object; true if it replaced an existing one. */
  writeConfig(fileName: string, yaml: string): boolean {
    mkdirSync(this.configDir, { recursive: true, mode: 0o755 });
    const target = path.join(this.configDir, fileName);
    const existed = existsSync(target);
    const tmp = path.join(this.configDir, `.${fileName}.${process.pid}.tmp`);
    writeFileSync(tmp, yaml);
    renameSync(tmp, target);
    return existed;
  }

  /** Removes one Istio object; false if there was none. */
  deleteConfig(fileName: string): boolean {
    const target = path.join(this.configDir, fileName);
    if (!existsSync(target)) return false;
    rmSync(target);
    return true;
  }

  listConfig(): { file: string; text: string; mtimeMs: number }[] {
    if (!existsSync(this.configDir)) return [];
    return readdirSync(this.configDir)
      .filter((f) => f.endsWith('.yaml') && !f.startsWith('.'))
      .sort()
      .map((f) => ({ file: f, text: readFileSync(path.join(this.configDir, f), 'utf8'), mtimeMs: statSync(path.join(this.configDir, f)).mtimeMs }));
  }

  writeStatuses(statuses: readonly PodStatusRecord[]): void {
    writeAtomic(path.join(this.dir, 'status.json'), JSON.stringify(statuses));
  }

  readStatuses(): PodStatusRecord[] {
    const file = path.join(this.dir, 'status.json');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as PodStatusRecord[]) : [];
  }
}

/**
 * Whether a process still runs. Signal 0 only checks that the pid exists; a killed
 * supervisor whose parent has not reaped it yet is a zombie, which counts as gone.
 */
export function processAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // The state is the field after the parenthesised command name.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
