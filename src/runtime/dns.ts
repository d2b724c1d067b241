// Name resolution inside a pod without a DNS server: `ip netns exec` bind-mounts
// /etc/netns/<netns>/hosts and resolv.conf over /etc/hosts and /etc/resolv.conf,
// so each pod gets a hosts file naming every Service's VIP the ways kube DNS
// would answer from that pod's namespace (`ratings` only from its own namespace;
// `ratings.default`, `ratings.default.svc`, and the FQDN from anywhere).
import type { PlannedPod, PlannedService } from './plan.js';

export function hostsFile(pod: Pick<PlannedPod, 'name' | 'namespace' | 'ip'>, services: readonly Pick<PlannedService, 'name' | 'namespace' | 'clusterIP'>[], domain = 'cluster.local'): string {
  const lines = ['# Written by the outrigger local runtime for this pod.', '127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', `${pod.ip}\t${pod.name}`];
  for (const svc of services) {
    if (svc.clusterIP === 'None' || svc.clusterIP === '') continue;
    const names = [`${svc.name}.${svc.namespace}.svc.${domain}`, `${svc.name}.${svc.namespace}.svc`, `${svc.name}.${svc.namespace}`];
    if (svc.namespace === pod.namespace) names.push(svc.name);
    lines.push(`${svc.clusterIP}\t${names.join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The search path kube gives a pod. The nameserver is the loopback address, on
 * which nothing listens until the agent's DNS proxy does: an unknown name fails
 * at once instead of leaking to the machine's resolver.
 */
export function resolvConf(namespace: string, domain = 'cluster.local'): string {
  return `# Written by the outrigger local runtime for this pod.\nsearch ${namespace}.svc.${domain} svc.${domain} ${domain}\nnameserver 127.0.0.1\noptions ndots:5\n`;
}
