// EDS: the cluster exists from CDS or the bootstrap; its endpoints arrive later
// as ClusterLoadAssignments (from the xDS client) through updateLoadAssignment.
import { hostsFromAssignment, Cluster, registerClusterType } from '../cluster.js';
import type { Cluster as ClusterConfig, ClusterLoadAssignment } from '../../config/types.js';
import { ConfigError } from '../../config/errors.js';

export class EdsCluster extends Cluster {
  /** The name EDS knows the cluster by (eds_cluster_config.service_name, else the cluster name). */
  get serviceName(): string {
    return this.config.eds_cluster_config?.service_name || this.name;
  }

  override updateLoadAssignment(assignment: ClusterLoadAssignment): void {
    try {
      this.setHosts(hostsFromAssignment(assignment, `ClusterLoadAssignment("${assignment.cluster_name}")`, true));
      this.stats.update_success.inc();
    } catch (error) {
      this.stats.update_failure.inc();
      throw error instanceof ConfigError ? error : new ConfigError(String(error));
    }
  }
}

registerClusterType('EDS', (config: ClusterConfig, context, path, addedViaApi) => new EdsCluster(config, context, path, addedViaApi));
