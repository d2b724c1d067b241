// Discovery at scale: generation time and size for one proxy, and the time for
// N connected ADS clients to receive and acknowledge a full configuration and
// then a change. Run: node --import tsx bench/discovery/run.ts [--services 1000] [--endpoints 10] [--proxies 100]
import { buildModel } from '../../src/discovery/model.js';
import { parseNodeId } from '../../src/discovery/proxy.js';
import { generateForProxy } from '../../src/discovery/generate/index.js';
import { DiscoverySource } from '../../src/discovery/source.js';
import { startAdsServer } from '../../src/xds/ads-server.js';
import { AdsClient, ClusterType, EndpointType, ListenerType, RouteType } from '../../src/xds/ads-client.js';
import { setOutputLevels } from '../../src/log/index.js';

setOutputLevels('default:error,ads:error,ads-client:error');
const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const services = arg('services', 1000);
const perService = arg('endpoints', 10);
const proxies = arg('proxies', 100);

function registry(generation: number): Record<string, unknown>[] {
  const objects: Record<string, unknown>[] = [];
  for (let s = 0; s < services; s++) {
    const ns = `ns${s % 10}`;
    objects.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: `svc${s}`, namespace: ns }, spec: { clusterIP: `10.96.${s >> 8}.${s & 255}`, selector: { app: `svc${s}` }, ports: [{ name: 'http', port: 8080 }] } });
    for (let e = 0; e < perService; e++) {
      const n = s * perService + e;
      // The change between generations: one endpoint of the first service moves.
      const ip = s === 0 && e === 0 ? `10.${100 + generation}.0.1` : `10.${10 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
      objects.push({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `svc${s}-${e}`, namespace: ns, labels: { app: `svc${s}` } }, spec: { containers: [{ name: 'app', ports: [{ containerPort: 8080 }] }] }, status: { podIP: ip } });
    }
  }
  return objects;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
let t = performance.now();
const model = buildModel(registry(0));
console.log(`model: ${services} services, ${services * perService} endpoints built in ${(performance.now() - t).toFixed(0)} ms`);

const proxy = parseNodeId('sidecar~10.10.0.1~svc0-0.ns0~ns0.svc.cluster.local');
t = performance.now();
const generated = generateForProxy(model, proxy);
const genMs = performance.now() - t;
const size = Buffer.byteLength(JSON.stringify(generated));
console.log(`generation for one proxy: ${genMs.toFixed(0)} ms; ${generated.listeners.length} listeners, ${generated.clusters.length} clusters, ${generated.routes.length} routes, ${generated.endpoints.length} endpoint sets; ${mb(size)} of JSON`);

const heapBefore = process.memoryUsage().heapUsed;
const source = new DiscoverySource(model);
const server = await startAdsServer({ address: '127.0.0.1:0', source });
const clients: { client: AdsClient; versions: Map<string, string> }[] = [];
const allAt = (version: string, types = [ClusterType, ListenerType, RouteType, EndpointType]) => clients.every((c) => types.every((type) => c.versions.get(type) === version));
t = performance.now();
for (let i = 0; i < proxies; i++) {
  const versions = new Map<string, string>();
  const entry: { client: AdsClient; versions: Map<string, string> } = { client: undefined as unknown as AdsClient, versions };
  entry.client = new AdsClient({
    address: `127.0.0.1:${server.port}`,
    node: { id: `sidecar~10.20.${i >> 8}.${i & 255}~client${i}.ns${i % 10}~ns${i % 10}.svc.cluster.local` },
    apply: (type, resources, version) => {
      versions.set(type, version);
      if (type === ClusterType) entry.client.subscribe(EndpointType, resources.filter((c) => c['type'] === 'EDS').map((c) => String(c['name'])));
      if (type === ListenerType) entry.client.subscribe(RouteType, ['8080']);
    },
  });
  clients.push(entry);
  entry.client.start();
}
const wait = async (version: string, types?: string[]) => {
  const deadline = Date.now() + 600_000;
  while (!allAt(version, types)) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};
await wait(source.version);
const firstMs = performance.now() - t;
console.log(`${proxies} proxies connected and applied the full config (4 types) in ${(firstMs / 1000).toFixed(1)} s`);

t = performance.now();
source.update(buildModel(registry(1)));
// Only the endpoints changed, so only they are pushed (unchanged types keep their version).
await wait(source.version, [EndpointType]);
const pushMs = performance.now() - t;
const heapAfter = process.memoryUsage().heapUsed;
console.log(`an endpoint change reached and was applied by all ${proxies} proxies in ${(pushMs / 1000).toFixed(2)} s`);
console.log(`server process: heap grew ${mb(heapAfter - heapBefore)} with ${proxies} streams; rss ${mb(process.memoryUsage().rss)} (clients share the process)`);
for (const c of clients) c.client.stop();
await server.close();
process.exit(0);
