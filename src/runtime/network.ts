// The network shell: creates the node namespace with its bridge, each pod's
// namespace with a veth into the bridge, the kube-proxy rules and the pods'
// hosts files. Every namespace and /etc/netns directory is recorded in the state
// before it is made. Nothing is added to the host's own network namespace: the
// veth pairs are created directly inside the node and pod namespaces.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run, runOrThrow } from '../capture/exec.js';
import { hostsFile, resolvConf } from './dns.js';
import type { HostRange } from './ipam.js';
import { renderKubeProxyRules } from './kube-proxy.js';
import type { ServiceRule } from './kube-proxy.js';
import type { ClusterPlan, PlannedPod } from './plan.js';
import type { StateDir } from './state.js';

export const ETC_NETNS = '/etc/netns';

async function ip(args: string[]): Promise<void> {
  await runOrThrow('ip', args);
}

export async function netnsExists(name: string): Promise<boolean> {
  const out = await run('ip', ['netns', 'list']);
  return out.stdout.split('\n').some((line) => line.split(' ')[0] === name);
}

export async function createNodeNetwork(plan: ClusterPlan, state: StateDir): Promise<void> {
  const ns = plan.nodeNetns;
  if (await netnsExists(ns)) throw new Error(`network namespace ${ns} already exists: a cluster with this prefix is running or was not torn down ("outrigger down")`);
  state.update((r) => r.netns.push(ns));
  await ip(['netns', 'add', ns]);
  await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
  await ip(['-n', ns, 'link', 'add', plan.bridge.name, 'type', 'bridge']);
  await ip(['-n', ns, 'addr', 'add', `${plan.bridge.ip}/${plan.bridge.prefix}`, 'dev', plan.bridge.name]);
  await ip(['-n', ns, 'link', 'set', plan.bridge.name, 'up']);
  // The node routes between pods and service VIPs (sysctls of its own namespace only).
  await runOrThrow('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  await applyServiceRules(plan, []);
}

export async function createPodNetwork(plan: ClusterPlan, pod: PlannedPod, state: StateDir): Promise<void> {
  if (await netnsExists(pod.netns)) throw new Error(`network namespace ${pod.netns} already exists`);
  state.update((r) => r.netns.push(pod.netns));
  await ip(['netns', 'add', pod.netns]);
  await ip(['link', 'add', pod.veth, 'netns', plan.nodeNetns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod.netns]);
  await ip(['-n', plan.nodeNetns, 'link', 'set', pod.veth, 'master', plan.bridge.name, 'up']);
  // A pod calling a Service that lands on itself sends the packet back out of its own port.
  await runOrThrow('bridge', ['-n', plan.nodeNetns, 'link', 'set', 'dev', pod.veth, 'hairpin', 'on']);
  await ip(['-n', pod.netns, 'link', 'set', 'lo', 'up']);
  await ip(['-n', pod.netns, 'addr', 'add', `${pod.ip}/${plan.bridge.prefix}`, 'dev', 'eth0']);
  await ip(['-n', pod.netns, 'link', 'set', 'eth0', 'up']);
  await ip(['-n', pod.netns, 'route', 'add', 'default', 'via', plan.bridge.ip]);
  writePodDns(plan, pod, state);
}

/** A pod's DNS identity: a StatefulSet's pods have a hostname and a subdomain (its Service). */
function dnsPod(pod: PlannedPod): PlannedPod & { hostname?: string; subdomain?: string } {
  const spec = (pod.object['spec'] ?? {}) as { hostname?: unknown; subdomain?: unknown };
  return { ...pod, ...(typeof spec.hostname === 'string' ? { hostname: spec.hostname } : {}), ...(typeof spec.subdomain === 'string' ? { subdomain: spec.subdomain } : {}) };
}

export function writePodDns(plan: ClusterPlan, pod: PlannedPod, state: StateDir): void {
  const dir = path.join(ETC_NETNS, pod.netns);
  state.update((r) => {
    // Rewritten when Services change (apply while running): recorded once.
    if (!r.etcNetns.includes(dir)) r.etcNetns.push(dir);
  });
  // Another cluster's teardown may remove an empty /etc/netns between our mkdir and write.
  for (let attempt = 0; ; attempt++) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      writeFileSync(path.join(dir, 'hosts'), hostsFile(dnsPod(pod), plan.services, plan.pods.map(dnsPod)), { mode: 0o644 });
      writeFileSync(path.join(dir, 'resolv.conf'), resolvConf(pod.namespace), { mode: 0o644 });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 3) throw error;
    }
  }
}

/** Replaces the node's nat and filter tables at once (iptables-restore is atomic per table). */
export async function applyServiceRules(plan: ClusterPlan, rules: readonly ServiceRule[]): Promise<void> {
  await runOrThrow('ip', ['netns', 'exec', plan.nodeNetns, 'iptables-restore'], renderKubeProxyRules(rules));
}

/** Kills every process in a network namespace, then removes it (its veths go with it). */
export async function removeNetns(name: string): Promise<void> {
  const pids = (await run('ip', ['netns', 'pids', name])).stdout.split(/\s+/).filter((p) => /^\d+$/.test(p));
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  if (await netnsExists(name)) await run('ip', ['netns', 'del', name]);
}

export function removeEtcNetns(dir: string): void {
  // Only directories under /etc/netns are ever ours to remove.
  if (path.dirname(dir) !== ETC_NETNS) return;
  rmSync(dir, { recursive: true, force: true });
}

/** The machine's IPv4 addresses and routes, for the check that the cluster's ranges are free. */
export async function hostRanges(): Promise<HostRange[]> {
  const out: HostRange[] = [];
  const addrs = JSON.parse((await runOrThrow('ip', ['-j', '-4', 'addr', 'show'])) || '[]') as { ifname: string; addr_info?: { local: string; prefixlen: number }[] }[];
  for (const link of addrs) for (const a of link.addr_info ?? []) out.push({ cidr: `${a.local}/${a.prefixlen}`, where: `address of ${link.ifname}` });
  const routes = JSON.parse((await runOrThrow('ip', ['-j', '-4', 'route', 'show', 'table', 'all'])) || '[]') as { dst: string; dev?: string; gateway?: string; type?: string }[];
  for (const r of routes) {
    if (r.type !== undefined && r.type !== 'unicast') continue;
    out.push({ cidr: r.dst, where: `route${r.gateway ? ` via ${r.gateway}` : ''}${r.dev ? ` dev ${r.dev}` : ''}` });
  }
  return out;
}
