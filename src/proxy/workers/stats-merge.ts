// Envoy's stats are process-wide: with workers, /stats and /clusters show the sum
// over the main process and every worker. Workers send samples of what they have
// counted; the main process merges them into fresh Stat objects for one reply.
//
// Most stats add up (connections, requests, bytes: each process counted its own).
// Stats that every process derives from the same configuration — a cluster's
// membership, its config updates, whether a circuit breaker is open — would be
// counted once per process, so the merge takes the largest value instead, which is
// what one process with many workers would report. (Envoy keeps this distinction as
// its gauges' import modes for hot restart.)
import type { HealthStatus } from '../config/types.js';
import type { ClusterStatus, HostStatus } from '../admin/clusters.js';
import { Stat } from '../stats.js';
import type { StatType } from '../stats.js';
import type { DataPlane } from './data-plane.js';

export type StatSample = readonly [name: string, type: StatType, promName: string, tags: readonly (readonly [string, string])[], value: number];

export interface HostSample {
  cluster: string;
  key: string;
  address: string;
  port: number;
  hostname: string;
  health: HealthStatus;
  weight: number;
  priority: number;
  locality: { region?: string; zone?: string; sub_zone?: string };
  ejected: boolean;
  cxActive: number;
  cxTotal: number;
  cxConnectFail: number;
  rqTotal: number;
  rqError: number;
  activeRequests: number;
}

/** What one worker has counted. */
export interface WorkerStats {
  stats: StatSample[];
  hosts: HostSample[];
}

const SAME_IN_EVERY_PROCESS = /\.(membership_\w+|update_\w+|version)$|\.circuit_breakers\.\w+\.\w+_open$/;

/** How samples of one stat from several processes combine. */
export function combine(name: string, a: number, b: number): number {
  return SAME_IN_EVERY_PROCESS.test(name) ? Math.max(a, b) : a + b;
}

/** A worker's stats as samples: only those it has used (the others are zero, and the main process has them). */
export function sampleStats(plane: DataPlane): WorkerStats {
  plane.refreshStats();
  const stats: StatSample[] = plane.stats.all().filter((s) => s.used).map((s) => [s.name, s.type, s.promName, s.tags, s.value] as const);
  const hosts: HostSample[] = [];
  for (const c of plane.clusterManager.all()) {
    for (const h of c.hosts()) {
      hosts.push({
        cluster: c.name, key: h.key, address: h.address, port: h.port, hostname: h.hostname, health: h.health, weight: h.weight, priority: h.priority, locality: h.locality,
        ejected: h.ejected, cxActive: h.cxActive, cxTotal: h.cxTotal, cxConnectFail: h.cxConnectFail, rqTotal: h.rqTotal, rqError: h.rqError, activeRequests: h.activeRequests,
      });
    }
  }
  return { stats, hosts };
}

/** The main process's stats with the workers' samples added in, sorted by name as StatsStore.all() is. */
export function mergeStats(own: readonly Stat[], samples: readonly (readonly StatSample[])[]): Stat[] {
  const merged = new Map<string, Stat>();
  for (const s of own) {
    const copy = new Stat(s.type, s.name, s.promName, s.tags);
    copy.value = s.value;
    copy.used = s.used;
    merged.set(s.name, copy);
  }
  for (const list of samples) {
    for (const [name, type, promName, tags, value] of list) {
      let stat = merged.get(name);
      if (!stat) {
        stat = new Stat(type, name, promName, tags);
        merged.set(name, stat);
      }
      stat.value = combine(name, stat.value, value);
      stat.used = true;
    }
  }
  return [...merged.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const HOST_COUNTERS = ['cxTotal', 'cxConnectFail', 'rqTotal', 'rqError'] as const;
const HOST_GAUGES = ['cxActive', 'activeRequests'] as const;

/**
 * /clusters over all processes: the main process's clusters (it owns the config), each host's
 * counters summed over the workers' samples and those of workers that have exited, ejected if
 * any process has ejected it. Hosts only workers know (ORIGINAL_DST creates them per
 * connection) are listed too.
 */
export function mergeClusterStatuses(own: readonly ClusterStatus[], live: readonly (readonly HostSample[])[], retired: readonly HostSample[]): ClusterStatus[] {
  const byCluster = new Map<string, Map<string, MutableHost>>();
  for (const c of own) byCluster.set(c.name, new Map(c.hosts.map((h) => [h.key, hostCopy(h)])));
  for (const list of live) {
    for (const sample of list) {
      const hosts = byCluster.get(sample.cluster);
      if (!hosts) continue;
      const host = hosts.get(sample.key);
      if (!host) {
        hosts.set(sample.key, hostCopy(sample));
        continue;
      }
      for (const field of [...HOST_COUNTERS, ...HOST_GAUGES]) host[field] = host[field] + sample[field];
      host.ejected ||= sample.ejected;
    }
  }
  for (const sample of retired) {
    const host = byCluster.get(sample.cluster)?.get(sample.key);
    if (host) for (const field of HOST_COUNTERS) host[field] = host[field] + sample[field];
  }
  return own.map((c) => ({ ...c, hosts: [...byCluster.get(c.name)!.values()] }));
}

type MutableHost = { -readonly [K in keyof HostStatus]: HostStatus[K] };

function hostCopy(h: HostStatus): MutableHost {
  return {
    key: h.key, address: h.address, port: h.port, hostname: h.hostname, health: h.health, weight: h.weight, priority: h.priority, locality: h.locality,
    ejected: h.ejected, cxActive: h.cxActive, cxTotal: h.cxTotal, cxConnectFail: h.cxConnectFail, rqTotal: h.rqTotal, rqError: h.rqError, activeRequests: h.activeRequests,
  };
}

/**
 * A worker that exits takes its connections with it but not its history: its counters are kept
 * (gauges are dropped), so that the proxy's counters never go backwards while it runs.
 */
export function retire(into: WorkerStats, last: WorkerStats): WorkerStats {
  const stats = new Map(into.stats.map((s) => [s[0], s]));
  for (const s of last.stats) {
    if (s[1] !== 'counter') continue;
    const before = stats.get(s[0]);
    stats.set(s[0], before ? [s[0], s[1], s[2], s[3], combine(s[0], before[4], s[4])] : s);
  }
  const hosts = new Map(into.hosts.map((h) => [`${h.cluster}\n${h.key}`, h]));
  for (const h of last.hosts) {
    const id = `${h.cluster}\n${h.key}`;
    const before = hosts.get(id);
    const sum = { ...h, cxActive: 0, activeRequests: 0 };
    if (before) for (const field of HOST_COUNTERS) sum[field] += before[field];
    hosts.set(id, sum);
  }
  return { stats: [...stats.values()], hosts: [...hosts.values()] };
}
