// Name resolution inside a pod without a DNS server: `ip netns exec` bind-mounts
// /etc/netns/<netns>/hosts and resolv.conf over /etc/hosts and /etc/resolv.conf,
// so each pod gets a hosts file naming every Service's VIP the ways kube DNS
// would answer from that pod's namespace (`ratings` only from its own namespace;
// `ratings.default`, `ratings.default.svc`, and the FQDN from anywhere).
// A headless Service names its pods' addresses instead, and a pod with a
// hostname and subdomain (a StatefulSet's) gets `db-0.db.default.svc.cluster.local`.
// The file is written once, when the pod is created: headless names list every
// selected pod, ready or not.
import { selects } from './endpoints.js';
import type { PlannedPod, PlannedService } from './plan.js';

type DnsPod = Pick<PlannedPod, 'name' | 'namespace' | 'ip' | 'labels'> & { hostname?: string; subdomain?: string };
type DnsService = Pick<PlannedService, 'name' | 'namespace' | 'clusterIP' | 'selector'>;

function serviceNames(svc: DnsService, fromNamespace: string, domain: string): string[] {
  const names = [`${svc.name}.${svc.namespace}.svc.${domain}`, `${svc.name}.${svc.namespace}.svc`, `${svc.name}.${svc.namespace}`];
  if (svc.namespace === fromNamespace) names.push(svc.name);
  return names;
}

export function hostsFile(pod: DnsPod, services: readonly DnsService[], pods: readonly DnsPod[] = [], domain = 'cluster.local'): string {
  const lines = ['# Written by the outrigger local runtime for this pod.', '127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  const own = pod.hostname && pod.subdomain ? [`${pod.hostname}.${pod.subdomain}.${pod.namespace}.svc.${domain}`, pod.hostname] : [pod.name];
  lines.push(`${pod.ip}\t${own.join(' ')}`);
  for (const svc of services) {
    if (svc.clusterIP !== 'None' && svc.clusterIP !== '') {
      lines.push(`${svc.clusterIP}\t${serviceNames(svc, pod.namespace, domain).join(' ')}`);
      continue;
    }
    const members = pods.filter((p) => selects(svc as PlannedService, p as PlannedPod));
    for (const member of members) lines.push(`${member.ip}\t${serviceNames(svc, pod.namespace, domain).join(' ')}`);
    for (const member of members) {
      if (member.subdomain !== svc.name || !member.hostname || member === pod) continue;
      lines.push(`${member.ip}\t${member.hostname}.${svc.name}.${svc.namespace}.svc.${domain}`);
    }
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
