// All clusters by name, built from config once per update. Filters look
// clusters up by name on each connection (a Map lookup), so a cluster that is
// replaced or added by CDS is seen by the next connection.
import { ConfigError } from '../config/errors.js';
import type { Cluster as ClusterConfig, ClusterLoadAssignment } from '../config/types.js';
import { createCluster } from './cluster.js';
import type { Cluster, ClusterContext } from './cluster.js';
import './clusters/static.js';
import './clusters/strict-dns.js';
import './clusters/original-dst.js';
import './clusters/eds.js';

export class ClusterManager {
  private readonly clusters = new Map<string, Cluster>();

  constructor(private readonly context: ClusterContext) {}

  /** Builds static clusters (all or nothing: a bad cluster leaves the manager unchanged). */
  addStatic(configs: readonly ClusterConfig[], pathPrefix = 'static_resources.clusters'): void {
    const built = configs.map((c, i) => createCluster(c, this.context, `${pathPrefix}[${i}]("${c.name}")`, false));
    for (const c of built) {
      if (this.clusters.has(c.name)) throw new ConfigError(`duplicate cluster "${c.name}"`);
    }
    for (const c of built) this.clusters.set(c.name, c);
  }

  /**
   * CDS: adds or replaces a cluster. The new cluster warms (STRICT_DNS resolves) before it
   * replaces the old one, so connections never see a cluster without hosts it could have had.
   * A bad cluster changes nothing.
   */
  async addOrUpdate(config: ClusterConfig, versionInfo?: string): Promise<Cluster> {
    const cluster = createCluster(config, this.context, `Cluster("${config.name}")`, true);
    cluster.versionInfo = versionInfo;
    await cluster.initialize();
    this.clusters.get(config.name)?.release();
    this.clusters.set(config.name, cluster);
    return cluster;
  }

  remove(name: string): boolean {
    const cluster = this.clusters.get(name);
    cluster?.release();
    return this.clusters.delete(name);
  }

  get(name: string): Cluster | undefined {
    return this.clusters.get(name);
  }

  all(): Cluster[] {
    return [...this.clusters.values()];
  }

  updateLoadAssignment(assignment: ClusterLoadAssignment): void {
    const cluster = this.clusters.get(assignment.cluster_name);
    if (!cluster) throw new ConfigError(`no cluster "${assignment.cluster_name}" for the ClusterLoadAssignment`);
    cluster.updateLoadAssignment(assignment);
  }

  initialize(): Promise<void> {
    return Promise.all(this.all().map((c) => c.initialize())).then(() => undefined);
  }

  close(): void {
    for (const c of this.clusters.values()) c.release();
  }
}
