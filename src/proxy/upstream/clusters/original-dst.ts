// ORIGINAL_DST: the host is wherever the downstream connection was going before
// capture redirected it. Istio's PassthroughCluster (outbound) and
// InboundPassthroughClusterIpv4 (inbound, bound to 127.0.0.6 so the capture
// rules let it through to the app) are clusters of this type. Hosts are created
// on first use and forgotten after cleanup_interval without connections.
import { Cluster, registerClusterType } from '../cluster.js';
import type { ClusterContext, LoadBalancerContext } from '../cluster.js';
import { Host } from '../host.js';
import { durationMs } from '../../config/duration.js';
import type { Cluster as ClusterConfig } from '../../config/types.js';
import type { LoadBalancer } from '../../load-balancers/index.js';
import { ConfigError } from '../../config/errors.js';
import { unmapIpv4 } from '../../cidr.js';

const DEFAULT_CLEANUP_MS = 5000;

export class OriginalDstCluster extends Cluster {
  private readonly byKey = new Map<string, Host>();
  private readonly cleanupMs: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(config: ClusterConfig, context: ClusterContext, path: string, addedViaApi: boolean) {
    super(config, context, path, addedViaApi);
    if (config.load_assignment?.endpoints?.length) throw new ConfigError('ORIGINAL_DST clusters take no endpoints', `${path}.load_assignment`);
    this.cleanupMs = durationMs(config.cleanup_interval, DEFAULT_CLEANUP_MS);
  }

  protected override createLoadBalancer(config: ClusterConfig, _context: ClusterContext, path: string): LoadBalancer | undefined {
    const policy = config.lb_policy ?? 'ROUND_ROBIN';
    // The destination picks the host; Envoy requires CLUSTER_PROVIDED (older configs leave the default).
    if (policy !== 'CLUSTER_PROVIDED' && policy !== 'ROUND_ROBIN') {
      throw new ConfigError(`ORIGINAL_DST clusters need lb_policy CLUSTER_PROVIDED, not ${policy}`, `${path}.lb_policy`);
    }
    return undefined;
  }

  override chooseHost(context: LoadBalancerContext): Host | undefined {
    const dst = context.downstreamLocalAddress;
    if (!dst) {
      this.stats.upstream_cx_none_healthy.inc();
      return undefined;
    }
    const address = unmapIpv4(dst.address);
    const key = `${address}|${dst.port}`;
    let host = this.byKey.get(key);
    if (!host) {
      host = new Host(address, dst.port);
      this.byKey.set(key, host);
      this.setHosts([...this.byKey.values()]);
      this.scheduleCleanup();
    }
    return host;
  }

  private scheduleCleanup(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      let removed = false;
      for (const [key, host] of this.byKey) {
        if (host.cxActive === 0) {
          this.byKey.delete(key);
          removed = true;
        }
      }
      if (removed) this.setHosts([...this.byKey.values()]);
      if (this.byKey.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    }, this.cleanupMs);
    this.timer.unref();
  }

  override close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

registerClusterType('ORIGINAL_DST', (config, context, path, addedViaApi) => new OriginalDstCluster(config, context, path, addedViaApi));
