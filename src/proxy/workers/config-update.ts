// One change to the data plane's configuration, as xDS delivers it: the main
// process applies it to its own data plane and sends the same update to every
// worker, which applies it the same way. Updates are idempotent, so a worker
// that is given the current configuration and then an update already in it
// ends up the same.
import type { JsonObject } from '../config/proto-json.js';
import type { Cluster, ClusterLoadAssignment, Listener } from '../config/types.js';
import type { DataPlane } from './data-plane.js';
import type { SecretConfig } from '../transport-sockets/tls-types.js';

export type ConfigUpdate =
  | { kind: 'cluster'; config: Cluster; versionInfo?: string }
  | { kind: 'cluster-removed'; name: string }
  | { kind: 'endpoints'; assignment: ClusterLoadAssignment }
  | { kind: 'listener'; config: Listener; versionInfo?: string }
  | { kind: 'listener-removed'; name: string }
  | { kind: 'route'; resource: JsonObject; versionInfo: string }
  /** The bootstrap's static secrets, before the clusters and listeners that name them. */
  | { kind: 'secrets'; secrets: SecretConfig[] };

/** Applies an update; throws ConfigError (changing nothing) when it is refused. */
export async function applyConfigUpdate(plane: DataPlane, update: ConfigUpdate): Promise<void> {
  switch (update.kind) {
    case 'cluster':
      await plane.clusterManager.addOrUpdate(update.config, update.versionInfo);
      return;
    case 'cluster-removed':
      plane.clusterManager.remove(update.name);
      return;
    case 'endpoints':
      plane.clusterManager.updateLoadAssignment(update.assignment);
      return;
    case 'listener':
      await plane.listenerManager.addOrUpdate(update.config, update.versionInfo);
      return;
    case 'listener-removed':
      plane.listenerManager.remove(update.name);
      return;
    case 'route':
      plane.routeConfigs.update(update.resource, update.versionInfo);
      return;
    case 'secrets':
      plane.secrets.setStatic(update.secrets);
      return;
  }
}
