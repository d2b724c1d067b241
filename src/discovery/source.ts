// The bridge between the model and the ADS server: a proxy connects with its node
// id, gets resources generated for it from the current model, and is told when
// the model changes. Generation is cached per proxy and model version.
import type { AdsSource, JsonObject, Node, ProxyWatch } from '../xds/ads-server.js';
import type { MeshModel } from './model.js';
import { parseNodeId } from './proxy.js';
import { generateForProxy, ProxyContext, TypeUrl } from './generate/index.js';
import { grpcClusters, grpcListeners, grpcRoutes } from './generate/grpc.js';
import { loadAssignment } from './generate/endpoints.js';
import { nameTable, NameTableType } from './generate/name-table.js';
import type { MeshSettings, ProxyResources } from './generate/index.js';
import { defaultMeshSettings } from './generate/index.js';

export class DiscoverySource implements AdsSource {
  private model: MeshModel;
  private counter = 1;
  private versionText: string;
  private readonly listeners = new Set<() => void>();
  private readonly connected = new Map<string, number>();
  private readonly generations = new Map<string, ProxyResources>();
  private generationVersion = '';

  constructor(model: MeshModel, private mesh: MeshSettings = defaultMeshSettings) {
    this.model = model;
    this.versionText = this.nextVersion();
  }

  private nextVersion(): string {
    // Istio's form: a timestamp and a counter.
    return `${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}/${this.counter}`;
  }

  get version(): string {
    return this.versionText;
  }

  /** Replaces the model (after a registry change) and tells every connected proxy. */
  update(model: MeshModel, mesh: MeshSettings = this.mesh): void {
    this.model = model;
    this.mesh = mesh;
    this.counter++;
    this.versionText = this.nextVersion();
    for (const listener of [...this.listeners]) listener();
  }

  connectedProxies(): string[] {
    return [...this.connected.keys()];
  }

  connect(node: Node): ProxyWatch {
    const proxy = parseNodeId(node.id, node.metadata);
    const resourcesNow = (): ProxyResources => {
      // Proxies that see the mesh alike (same namespace, same served services) share one
      // generation — and so the same resource objects, which the ADS server encodes once.
      const ctx = new ProxyContext(this.model, proxy, this.mesh);
      const key = `${proxy.namespace}|${ctx.inboundServices.map((s) => s.hostname).join(',')}|${ctx.workload?.containerPorts.map((p) => `${p.name ?? ''}:${p.containerPort}`).join(',') ?? ''}`;
      if (this.generationVersion !== this.versionText) {
        this.generations.clear();
        this.generationVersion = this.versionText;
      }
      let resources = this.generations.get(key);
      if (!resources) {
        resources = generateForProxy(this.model, proxy, this.mesh);
        this.generations.set(key, resources);
      }
      return resources;
    };
    this.connected.set(node.id, (this.connected.get(node.id) ?? 0) + 1);
    // Proxyless gRPC clients say so in their metadata, as Istio's do.
    const proxyless = node.metadata['GENERATOR'] === 'grpc';
    const grpcResources = (typeUrl: string, names: readonly string[]): JsonObject[] => {
      const ctx = new ProxyContext(this.model, proxy, this.mesh);
      switch (typeUrl) {
        case TypeUrl.Listener:
          return grpcListeners(ctx, names) as JsonObject[];
        case TypeUrl.RouteConfiguration:
          return grpcRoutes(ctx, names) as JsonObject[];
        case TypeUrl.Cluster: {
          const clusters = grpcClusters(ctx);
          return (names.length === 0 ? clusters : clusters.filter((c) => names.includes(String(c['name'])))) as JsonObject[];
        }
        case TypeUrl.ClusterLoadAssignment:
          return names.map((n) => loadAssignment(ctx, n)).filter((a) => a !== undefined) as JsonObject[];
        default:
          return [];
      }
    };
    return {
      version: () => this.versionText,
      resources: (typeUrl, names) => {
        if (typeUrl === NameTableType) return [nameTable(new ProxyContext(this.model, proxy, this.mesh)) as JsonObject];
        if (proxyless) return grpcResources(typeUrl, names);
        const all = resourcesNow();
        const pick = (list: Record<string, unknown>[], key: 'name' | 'clusterName') => (names.length === 0 ? list : list.filter((r) => names.includes(String(r[key]))));
        switch (typeUrl) {
          case TypeUrl.Listener:
            return pick(all.listeners, 'name') as JsonObject[];
          case TypeUrl.Cluster:
            return pick(all.clusters, 'name') as JsonObject[];
          case TypeUrl.RouteConfiguration:
            return pick(all.routes, 'name') as JsonObject[];
          case TypeUrl.ClusterLoadAssignment:
            return pick(all.endpoints, 'clusterName') as JsonObject[];
          default:
            return [];
        }
      },
      onChange: (listener) => {
        this.listeners.add(listener);
        return () => {
          this.listeners.delete(listener);
          const count = (this.connected.get(node.id) ?? 1) - 1;
          if (count <= 0) this.connected.delete(node.id);
          else this.connected.set(node.id, count);
        };
      },
    };
  }
}
