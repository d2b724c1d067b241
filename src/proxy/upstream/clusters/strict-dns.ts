// STRICT_DNS: every endpoint's name is resolved, every returned address becomes
// a host, and the names are re-resolved every dns_refresh_rate. A failed
// refresh keeps the previous hosts (Envoy does the same).
import dns from 'node:dns';
import net from 'node:net';
import { Cluster, hostsFromAssignment, registerClusterType } from '../cluster.js';
import type { ClusterContext } from '../cluster.js';
import { Host } from '../host.js';
import { durationMs } from '../../config/duration.js';
import type { Cluster as ClusterConfig } from '../../config/types.js';
import { ConfigError } from '../../config/errors.js';

const DEFAULT_REFRESH_MS = 5000;

export type Lookup = (hostname: string, family: 0 | 4 | 6) => Promise<string[]>;

const systemLookup: Lookup = async (hostname, family) =>
  (await dns.promises.lookup(hostname, { all: true, family })).map((a) => a.address);

export class StrictDnsCluster extends Cluster {
  private readonly targets: Host[];
  private readonly refreshMs: number;
  private timer: NodeJS.Timeout | undefined;
  private first: Promise<void> | undefined;
  private closed = false;

  constructor(config: ClusterConfig, context: ClusterContext, path: string, addedViaApi: boolean, private readonly lookup: Lookup = systemLookup) {
    super(config, context, path, addedViaApi);
    this.targets = hostsFromAssignment(config.load_assignment, `${path}.load_assignment`, false);
    this.refreshMs = durationMs(config.dns_refresh_rate, DEFAULT_REFRESH_MS);
    if (this.refreshMs <= 0) throw new ConfigError('must be positive', `${path}.dns_refresh_rate`);
  }

  /** AUTO, V4_PREFERRED and ALL take every address getaddrinfo returns, in the system's order. */
  private family(): 0 | 4 | 6 {
    const f = this.config.dns_lookup_family;
    return f === 'V4_ONLY' ? 4 : f === 'V6_ONLY' ? 6 : 0;
  }

  override initialize(): Promise<void> {
    this.first ??= this.resolve().finally(() => this.schedule());
    return this.first;
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => void this.resolve().finally(() => this.schedule()), this.refreshMs);
    this.timer.unref();
  }

  private async resolve(): Promise<void> {
    const resolved: Host[] = [];
    try {
      for (const t of this.targets) {
        const addresses = net.isIP(t.address) ? [t.address] : await this.lookup(t.address, this.family());
        for (const address of addresses) resolved.push(Object.assign(new Host(address, t.port, t.weight, t.health, t.priority, t.address, t.locality), { transportSocketMatch: t.transportSocketMatch }));
      }
    } catch {
      this.stats.update_failure.inc();
      return;
    }
    const before = this.hostList.map((h) => h.key).join(',');
    if (resolved.map((h) => h.key).join(',') !== before || this.hostList.length === 0) this.setHosts(resolved);
    this.stats.update_success.inc();
  }

  override close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

registerClusterType('STRICT_DNS', (config, context, path, addedViaApi) => new StrictDnsCluster(config, context, path, addedViaApi));
