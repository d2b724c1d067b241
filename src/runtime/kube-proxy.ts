// Service virtual IPs the way kube-proxy's iptables mode does it, in the node's
// network namespace: KUBE-SERVICES matches a VIP and port, KUBE-SVC-* picks an
// endpoint at random with `statistic` (equal chances), KUBE-SEP-* DNATs to it.
// Pods on one bridge answer each other directly at layer 2, which would bypass
// the un-DNAT of the reply; so every serviced connection is masqueraded behind
// the bridge's address (kube-proxy does this for hairpin traffic only, because
// it has br_netfilter; we do not load kernel modules on the host).
// Pure: a table of services and ready endpoints in, iptables-restore text out.
import { createHash } from 'node:crypto';

export interface ServiceRule {
  namespace: string;
  name: string;
  portName?: string;
  clusterIP: string;
  port: number;
  protocol: string;
  /** Ready endpoints, "ip:port". */
  endpoints: string[];
}

const MASQ_MARK = '0x4000/0x4000';

/** KUBE-SVC-/KUBE-SEP- names: a hash of what they stand for, short enough for iptables (28 chars). */
export function chainName(prefix: 'KUBE-SVC-' | 'KUBE-SEP-', key: string): string {
  const digest = createHash('sha256').update(key).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let out = '';
  for (let i = 0; i < 16; i++) out += alphabet[digest[i]! % 32];
  return prefix + out;
}

function servicePortName(rule: ServiceRule): string {
  return `${rule.namespace}/${rule.name}${rule.portName ? `:${rule.portName}` : ''}`;
}

export function renderKubeProxyRules(rules: readonly ServiceRule[]): string {
  const natChains = ['KUBE-SERVICES', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ'];
  const nat: string[] = [
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    '-A KUBE-POSTROUTING -m mark ! --mark ' + MASQ_MARK + ' -j RETURN',
    `-A KUBE-POSTROUTING -j MASQUERADE --random-fully`,
    `-A KUBE-MARK-MASQ -j MARK --set-xmark ${MASQ_MARK}`,
  ];
  const filterChains = ['KUBE-SERVICES'];
  const filter: string[] = ['-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES', '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'];
  for (const rule of rules) {
    const proto = rule.protocol.toLowerCase();
    const name = servicePortName(rule);
    if (rule.endpoints.length === 0) {
      // No ready endpoint: refuse at once rather than let the connection time out.
      filter.push(`-A KUBE-SERVICES -d ${rule.clusterIP}/32 -p ${proto} -m comment --comment "${name} has no endpoints" -m ${proto} --dport ${rule.port} -j REJECT --reject-with icmp-port-unreachable`);
      continue;
    }
    const svc = chainName('KUBE-SVC-', `${name}/${proto}`);
    natChains.push(svc);
    nat.push(`-A KUBE-SERVICES -d ${rule.clusterIP}/32 -p ${proto} -m comment --comment "${name} cluster IP" -m ${proto} --dport ${rule.port} -j ${svc}`);
    rule.endpoints.forEach((endpoint, i) => {
      const sep = chainName('KUBE-SEP-', `${name}/${proto}/${endpoint}`);
      natChains.push(sep);
      const remaining = rule.endpoints.length - i;
      const pick = remaining > 1 ? ` -m statistic --mode random --probability ${(1 / remaining).toFixed(11)}` : '';
      nat.push(`-A ${svc} -m comment --comment "${name} -> ${endpoint}"${pick} -j ${sep}`);
      nat.push(`-A ${sep} -m comment --comment "${name}" -j KUBE-MARK-MASQ`);
      nat.push(`-A ${sep} -p ${proto} -m comment --comment "${name}" -m ${proto} -j DNAT --to-destination ${endpoint}`);
    });
  }
  return [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ...natChains.map((c) => `:${c} - [0:0]`),
    ...nat,
    'COMMIT',
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ...filterChains.map((c) => `:${c} - [0:0]`),
    ...filter,
    'COMMIT',
    '',
  ].join('\n');
}
