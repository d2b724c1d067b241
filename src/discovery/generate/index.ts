// Per-proxy generation: the model and a proxy in, Envoy v3 resources (proto JSON
// with @type on Any values) out, keyed by type and name. Pure.
import type { MeshModel } from '../model.js';
import type { ProxyIdentity } from '../proxy.js';
import { generateClusters } from './clusters.js';
import { ProxyContext, defaultMeshSettings } from './context.js';
import type { MeshSettings } from './context.js';
import { generateEndpoints, loadAssignment } from './endpoints.js';
import { generateListeners } from './listeners.js';
import { generateRoutes } from './routes.js';

type Obj = Record<string, any>;

export interface ProxyResources {
  listeners: Obj[];
  clusters: Obj[];
  routes: Obj[];
  endpoints: Obj[];
}

export function generateForProxy(model: MeshModel, proxy: ProxyIdentity, mesh: MeshSettings = defaultMeshSettings): ProxyResources {
  const ctx = new ProxyContext(model, proxy, mesh);
  const clusters = generateClusters(ctx);
  return { listeners: generateListeners(ctx), clusters, routes: generateRoutes(ctx), endpoints: generateEndpoints(ctx, clusters) };
}

export { ProxyContext, defaultMeshSettings, loadAssignment, generateRoutes, generateListeners, generateClusters, generateEndpoints };
export type { MeshSettings };
export * from './names.js';
