// `outrigger describe pod`: kubectl's layout of one pod — identity, labels,
// status, each init container and container with its state, probes and
// environment, and the pod's conditions. Pure: plan entry and status in, text out.
import type { LaunchSpec, Probe } from './launch.js';
import type { PlannedPod } from './plan.js';
import type { PodStatusRecord } from './state.js';
import type { ContainerStatus } from './status.js';
import { podReady } from './status.js';
import { eventsSection } from './events.js';

function labelBlock(title: string, map: Readonly<Record<string, string>>, width: number): string[] {
  const entries = Object.entries(map).map(([k, v]) => `${k}=${v}`);
  if (entries.length === 0) return [`${title.padEnd(width)}<none>`];
  return entries.map((e, i) => `${(i === 0 ? title : '').padEnd(width)}${e}`);
}

export function probeText(probe: Probe): string {
  const a = probe.action;
  const what = a.kind === 'http' ? `http-get ${a.scheme.toLowerCase()}://${a.host ?? ''}:${a.port}${a.path}` : a.kind === 'tcp' ? `tcp-socket ${a.host ?? ''}:${a.port}` : `exec [${a.command.join(' ')}]`;
  return `${what} delay=${probe.initialDelaySeconds}s timeout=${probe.timeoutSeconds}s period=${probe.periodSeconds}s #success=${probe.successThreshold} #failure=${probe.failureThreshold}`;
}

function stateLines(status: ContainerStatus | undefined): string[] {
  const s = status?.state;
  if (!s) return ['    State:          Waiting', '      Reason:       ContainerCreating'];
  if (s.kind === 'running') return ['    State:          Running', `      Started:      ${s.startedAt}`];
  if (s.kind === 'waiting') return ['    State:          Waiting', ...(s.reason ? [`      Reason:       ${s.reason}`] : []), ...(s.message ? [`      Message:      ${s.message}`] : [])];
  return ['    State:          Terminated', `      Reason:       ${s.reason || 'Error'}`, `      Exit Code:    ${s.exitCode}`, ...(s.signal ? [`      Signal:       ${s.signal}`] : []), `      Finished:     ${s.finishedAt}`];
}

function containerLines(spec: LaunchSpec, status: ContainerStatus | undefined): string[] {
  const program = spec.program.kind === 'outrigger' ? 'outrigger (the local Outrigger CLI)' : spec.program.path;
  const lines = [`  ${spec.container}:`, `    Image:          ${spec.image || '<none>'}`, '    Command:', `      ${program}`];
  if (spec.args.length > 0) lines.push('    Args:', ...spec.args.map((a) => `      ${a}`));
  lines.push(...stateLines(status));
  lines.push(`    Ready:          ${status?.ready ? 'True' : 'False'}`, `    Restart Count:  ${status?.restartCount ?? 0}`);
  if (spec.nativeSidecar) lines.push('    Restart Policy: Always (native sidecar)');
  lines.push(`    User:           ${spec.uid}:${spec.gid}`);
  if (spec.workingDir) lines.push(`    Working Dir:    ${spec.workingDir}`);
  if (spec.livenessProbe) lines.push(`    Liveness:       ${probeText(spec.livenessProbe)}`);
  if (spec.readinessProbe) lines.push(`    Readiness:      ${probeText(spec.readinessProbe)}`);
  if (spec.startupProbe) lines.push(`    Startup:        ${probeText(spec.startupProbe)}`);
  // The Service variables kube adds are not part of the spec; kubectl does not list them either.
  const env = spec.env.filter(([k]) => !/_SERVICE_(HOST|PORT)/.test(k));
  lines.push(env.length === 0 ? '    Environment:    <none>' : '    Environment:');
  for (const [k, v] of env) lines.push(`      ${k}:  ${v.includes('\n') ? JSON.stringify(v) : v}`);
  return lines;
}

export function describePod(pod: PlannedPod, record: PodStatusRecord | undefined, nodeName: string, hostIP: string, nowMs = Date.now()): string {
  const w = 18;
  const field = (name: string, value: string) => `${`${name}:`.padEnd(w)}${value}`;
  const status = record?.status;
  const lines = [
    field('Name', pod.name),
    field('Namespace', pod.namespace),
    field('Service Account', pod.serviceAccount),
    field('Node', `${nodeName}/${hostIP}`),
    field('Start Time', record?.startedAt ?? '<none>'),
    ...labelBlock('Labels:', pod.labels, w),
    ...labelBlock('Annotations:', pod.annotations, w),
    field('Status', record?.phase ?? 'Pending'),
    field('IP', pod.ip),
    field('Controlled By', pod.owner ? `${pod.owner.kind}/${pod.owner.name}` : '<none>'),
    field('Network NS', pod.netns),
    field('Sidecar', pod.injected ? 'injected' : 'none'),
  ];
  if (pod.initContainers.length > 0) {
    lines.push('Init Containers:');
    pod.initContainers.forEach((c, i) => lines.push(...containerLines(c, status?.initContainers[i])));
  }
  lines.push('Containers:');
  pod.containers.forEach((c, i) => lines.push(...containerLines(c, status?.containers[i])));
  const initialized = status ? status.initialized === true || status.initContainers.every((c) => c.state.kind === 'terminated' && c.state.exitCode === 0) : false;
  const containersReady = status ? status.containers.every((c) => c.ready) : false;
  const ready = status ? podReady(status) : false;
  const tf = (b: boolean) => (b ? 'True' : 'False');
  lines.push('Conditions:', '  Type              Status', `  Initialized       ${tf(initialized)}`, `  Ready             ${tf(ready)}`, `  ContainersReady   ${tf(containersReady)}`, '  PodScheduled      True');
  lines.push(...eventsSection(record?.events ?? [], nowMs));
  return `${lines.join('\n')}\n`;
}
