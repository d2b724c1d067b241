// Which hosts of a cluster a load balancer may choose from, as a pure function:
// the lowest priority that has a healthy host, and within it the healthy hosts,
// unless fewer than Envoy's default panic threshold (50%) are healthy, in which
// case all of that priority's hosts (Envoy's "panic mode": better to try
// everything than to overload the few healthy ones).
import type { Host } from './host.js';

export const PANIC_THRESHOLD = 0.5;

export interface HostSelection {
  hosts: readonly Host[];
  panic: boolean;
}

export function selectableHosts(hosts: readonly Host[]): HostSelection {
  if (hosts.length === 0) return { hosts, panic: false };
  const priorities = [...new Set(hosts.map((h) => h.priority))].sort((a, b) => a - b);
  for (const priority of priorities) {
    const level = hosts.filter((h) => h.priority === priority);
    const healthy = level.filter((h) => h.healthy);
    if (healthy.length === 0) continue;
    if (healthy.length / level.length < PANIC_THRESHOLD) return { hosts: level, panic: true };
    return { hosts: healthy, panic: false };
  }
  // Nobody is healthy anywhere: Envoy panics and balances across the first priority.
  return { hosts: hosts.filter((h) => h.priority === priorities[0]), panic: true };
}
