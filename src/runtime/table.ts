// kubectl's tables: upper-case headers, columns separated by three spaces, ages
// in kubectl's short human form. Pure: rows in, text out.
import type { PlannedPod, PlannedService } from './plan.js';
import type { PodStatusRecord } from './state.js';
import { podRow } from './status.js';

export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** kubectl's HumanDuration: 45s, 3m12s, 25m, 4h10m, 20h, 3d4h, 40d, 2y. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const d = Math.floor(h / 24);
  if (s < 120) return `${s}s`;
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (h < 24 * 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

export interface PodTableOptions {
  wide: boolean;
  allNamespaces: boolean;
  nodeName: string;
  now: number;
}

export function podTable(pods: readonly PlannedPod[], statuses: readonly PodStatusRecord[], options: PodTableOptions): string {
  const header = [...(options.allNamespaces ? ['NAMESPACE'] : []), 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', ...(options.wide ? ['IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'] : [])];
  const rows = pods.map((pod) => {
    const record = statuses.find((s) => s.namespace === pod.namespace && s.name === pod.name);
    const row = record ? podRow(record.status) : { ready: `0/${pod.containers.length + pod.initContainers.filter((c) => c.nativeSidecar).length}`, status: 'Pending', restarts: 0 };
    const age = record?.startedAt ? humanDuration(options.now - Date.parse(record.startedAt)) : '<unknown>';
    return [...(options.allNamespaces ? [pod.namespace] : []), pod.name, row.ready, row.status, String(row.restarts), age, ...(options.wide ? [pod.ip, options.nodeName, '<none>', '<none>'] : [])];
  });
  return renderTable(header, rows);
}

export function serviceTable(services: readonly PlannedService[], options: { wide: boolean; allNamespaces: boolean; age: string }): string {
  const header = [...(options.allNamespaces ? ['NAMESPACE'] : []), 'NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', ...(options.wide ? ['SELECTOR'] : [])];
  const rows = services.map((svc) => [
    ...(options.allNamespaces ? [svc.namespace] : []),
    svc.name,
    svc.type,
    svc.clusterIP,
    '<none>',
    svc.ports.map((p) => `${p.port}/${p.protocol}`).join(',') || '<none>',
    options.age,
    ...(options.wide ? [svc.selector ? Object.entries(svc.selector).map(([k, v]) => `${k}=${v}`).join(',') : '<none>'] : []),
  ]);
  return renderTable(header, rows);
}

export interface DeploymentRow {
  namespace: string;
  name: string;
  replicas: number;
}

/**
 * `kubectl get deployments`: READY counts the Deployment's ready pods over its
 * replicas; a rollout here is all at once, so every pod is up to date.
 */
export function deploymentTable(deployments: readonly DeploymentRow[], pods: readonly PlannedPod[], statuses: readonly PodStatusRecord[], options: { allNamespaces: boolean; age: string }): string {
  const header = [...(options.allNamespaces ? ['NAMESPACE'] : []), 'NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'];
  const rows = deployments.map((d) => {
    // Its pods are its ReplicaSet's: "<deployment>-<pod-template-hash>".
    const owned = pods.filter((p) => p.namespace === d.namespace && p.owner?.kind === 'ReplicaSet' && p.owner.name === `${d.name}-${p.labels['pod-template-hash'] ?? ''}`);
    const ready = owned.filter((p) => statuses.some((s) => s.namespace === p.namespace && s.name === p.name && s.ready)).length;
    return [...(options.allNamespaces ? [d.namespace] : []), d.name, `${ready}/${d.replicas}`, String(owned.length), String(ready), options.age];
  });
  return renderTable(header, rows);
}
