// STATIC: endpoints are IP addresses listed in load_assignment. Istio's
// BlackHoleCluster is a STATIC cluster with none, so every connection to it fails.
import { hostsFromAssignment, Cluster, registerClusterType } from '../cluster.js';
import type { ClusterContext } from '../cluster.js';
import type { Cluster as ClusterConfig } from '../../config/types.js';

export class StaticCluster extends Cluster {
  constructor(config: ClusterConfig, context: ClusterContext, path: string, addedViaApi: boolean) {
    super(config, context, path, addedViaApi);
    this.setHosts(hostsFromAssignment(config.load_assignment, `${path}.load_assignment`, true));
  }
}

registerClusterType('STATIC', (config, context, path, addedViaApi) => new StaticCluster(config, context, path, addedViaApi));
