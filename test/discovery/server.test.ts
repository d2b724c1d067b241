// The discovery server on a watched registry directory, with a real ADS client.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { adsServiceDefinition } from '../../src/xds/ads-server.js';
import { unpackAny } from '../../src/xds/codec.js';
import { meshSettings, startDiscovery } from '../../src/discovery/server.js';
import type { DiscoveryServer } from '../../src/discovery/server.js';
import { TypeUrl } from '../../src/discovery/generate/index.js';
import { setSink } from '../../src/log/index.js';

type Obj = Record<string, any>;
const here = path.dirname(fileURLToPath(import.meta.url));
const NODE = 'sidecar~10.4.1.20~productpage-v1-6b746f74dc-9stvs.default~default.svc.cluster.local';
const vs = (v1: number, v3: number) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: ${v1}
    - destination: {host: reviews, subset: v3}
      weight: ${v3}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v3, labels: {version: v3}}
`;

function weights(response: Obj): number[] {
  const route = unpackAny(response['resources'][0]);
  const vh = (route['virtual_hosts'] as Obj[]).find((v) => v['name'] === 'reviews.default.svc.cluster.local:9080')!;
  return (vh['routes'][0]['route']['weighted_clusters']['clusters'] as Obj[]).map((c) => c['weight']);
}

describe('outrigger discovery', () => {
  let dir: string;
  let server: DiscoveryServer;
  let restoreSink: (line: string) => void;
  const logs: string[] = [];
  before(async () => {
    restoreSink = setSink((line) => logs.push(line));
    dir = mkdtempSync(path.join(tmpdir(), 'registry-'));
    copyFileSync(path.join(here, 'fixtures', 'bookinfo.yaml'), path.join(dir, 'bookinfo.yaml'));
    writeFileSync(path.join(dir, 'reviews-routing.yaml'), vs(100, 0));
    server = await startDiscovery({ configDir: dir, grpcAddr: '127.0.0.1:0', monitoringAddr: '127.0.0.1:0', httpAddr: '127.0.0.1:0' });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
    setSink(restoreSink);
  });

  test('editing a VirtualService in the directory pushes the new split; a broken edit keeps the last good config', async () => {
    const Client = grpc.makeGenericClientConstructor(adsServiceDefinition(), 'ADS');
    const client = new Client(`127.0.0.1:${server.grpcPort}`, grpc.credentials.createInsecure()) as unknown as { StreamAggregatedResources(): grpc.ClientDuplexStream<Obj, Obj>; close(): void };
    const call = client.StreamAggregatedResources();
    const responses: Obj[] = [];
    const waiters: ((r: Obj) => void)[] = [];
    call.on('data', (r: Obj) => (waiters.length > 0 ? waiters.shift()!(r) : responses.push(r)));
    call.on('error', () => {});
    const next = () => (responses.length > 0 ? Promise.resolve(responses.shift()!) : new Promise<Obj>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no push')), 5000);
      waiters.push((r) => {
        clearTimeout(timer);
        resolve(r);
      });
    }));
    call.write({ node: { id: NODE }, type_url: TypeUrl.RouteConfiguration, resource_names: ['9080'] });
    const first = await next();
    assert.deepEqual(weights(first), [100]);
    call.write({ node: { id: NODE }, type_url: TypeUrl.RouteConfiguration, resource_names: ['9080'], version_info: first['version_info'], response_nonce: first['nonce'] });

    writeFileSync(path.join(dir, 'reviews-routing.yaml'), vs(50, 50));
    const pushed = await next();
    assert.deepEqual(weights(pushed), [50, 50]);
    assert.notEqual(pushed['version_info'], first['version_info']);
    call.write({ node: { id: NODE }, type_url: TypeUrl.RouteConfiguration, resource_names: ['9080'], version_info: pushed['version_info'], response_nonce: pushed['nonce'] });

    writeFileSync(path.join(dir, 'broken.yaml'), 'kind: VirtualService\nspec: [unclosed\n');
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(responses.length, 0, 'no push for a broken registry');
    assert.ok(logs.some((l) => /configuration not reloaded, keeping version .*broken\.yaml/.test(l)), logs.join('\n'));

    const syncz = (await (await fetch(`http://127.0.0.1:${server.monitoringPort}/debug/syncz`)).json()) as Obj[];
    const mine = syncz.find((s) => s['proxy'] === NODE)!;
    assert.equal(mine['watches'][0]['acked'], pushed['version_info']);
    // The debug address (--httpAddr) answers the same.
    const debugSyncz = (await (await fetch(`http://127.0.0.1:${server.httpPort}/debug/syncz`)).json()) as Obj[];
    assert.equal(debugSyncz.find((s) => s['proxy'] === NODE)!['watches'][0]['acked'], pushed['version_info']);
    const metrics = await (await fetch(`http://127.0.0.1:${server.monitoringPort}/metrics`)).text();
    assert.match(metrics, /^pilot_xds 1$/m);
    assert.match(metrics, /^outrigger_config_reload_errors_total 1$/m);
    rmSync(path.join(dir, 'broken.yaml'));
    call.end();
    client.close();
  });
});

describe('outrigger discovery (command line)', () => {
  const bin = path.resolve(here, '..', '..', 'bin', 'outrigger');
  test('a missing directory is a one-line error', async () => {
    const out = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [bin, 'discovery', '--configDir', '/nonexistent/registry'], (error, _stdout, stderr) => resolve({ code: (error as { code?: number } | null)?.code ?? 0, stderr }));
    });
    assert.equal(out.code, 1);
    assert.equal(out.stderr, 'Error: --configDir /nonexistent/registry: no such directory\n');
  });
});

describe('outrigger discovery serves the injection webhook, as istiod does', () => {
  test('POST /inject over HTTPS with the generated CA returns a JSON patch', async () => {
    const { request } = await import('node:https');
    const dir = mkdtempSync(path.join(tmpdir(), 'registry-'));
    const restore = setSink(() => {});
    const server = await startDiscovery({ configDir: dir, grpcAddr: '127.0.0.1:0', monitoringAddr: '127.0.0.1:0', webhook: { port: 0 } });
    try {
      const { readFileSync } = await import('node:fs');
      const ca = readFileSync(server.webhookCaFile!, 'utf8');
      const review = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'abc-123', kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' }, namespace: 'default', operation: 'CREATE', object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } } };
      const body = JSON.stringify(review);
      const response = await new Promise<Obj>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: server.webhook!.port, path: '/inject', method: 'POST', ca, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve(JSON.parse(text) as Obj));
        });
        req.on('error', reject);
        req.end(body);
      });
      assert.equal(response['response']['uid'], 'abc-123');
      assert.equal(response['response']['allowed'], true);
      assert.equal(response['response']['patchType'], 'JSONPatch');
      const patch = JSON.parse(Buffer.from(response['response']['patch'], 'base64').toString()) as Obj[];
      assert.ok(patch.some((op) => JSON.stringify(op).includes('istio-proxy')));
    } finally {
      await server.close();
      setSink(restore);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('outrigger proxy-status against a running discovery', () => {
  test('a proxy that acknowledged everything is SYNCED on every type', async () => {
    const { AdsClient, ClusterType, EndpointType, ListenerType, RouteType } = await import('../../src/xds/ads-client.js');
    const dir = mkdtempSync(path.join(tmpdir(), 'registry-'));
    copyFileSync(path.join(here, 'fixtures', 'bookinfo.yaml'), path.join(dir, 'bookinfo.yaml'));
    const restore = setSink(() => {});
    const server = await startDiscovery({ configDir: dir, grpcAddr: '127.0.0.1:0', monitoringAddr: '127.0.0.1:0' });
    const applied = new Set<string>();
    const client: InstanceType<typeof AdsClient> = new AdsClient({
      address: `127.0.0.1:${server.grpcPort}`,
      node: { id: NODE },
      apply: (type, resources) => {
        applied.add(type);
        if (type === ClusterType) client.subscribe(EndpointType, resources.filter((c) => c['type'] === 'EDS').map((c) => String(c['name'])));
        if (type === ListenerType) client.subscribe(RouteType, ['9080']);
      },
    });
    client.start();
    try {
      const deadline = Date.now() + 5000;
      while (applied.size < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 200));
      const out = await new Promise<string>((resolve) => {
        execFile(process.execPath, [path.resolve(here, '..', '..', 'bin', 'outrigger'), 'ps', '--discoveryAddress', `127.0.0.1:${server.monitoringPort}`], (_e, stdout) => resolve(stdout));
      });
      const row = out.split('\n').find((l) => l.startsWith('productpage-v1-6b746f74dc-9stvs.default'))!;
      assert.ok(row, out);
      assert.deepEqual(row.split(/ +/).slice(2, 6), ['SYNCED', 'SYNCED', 'SYNCED', 'SYNCED'], out);
    } finally {
      client.stop();
      await server.close();
      setSink(restore);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test("mesh settings: MeshConfig's durations are read the Go way and given to Envoy in seconds", () => {
  assert.equal(meshSettings({ connectTimeout: '500ms' }).connectTimeout, '0.500s');
  assert.equal(meshSettings({ connectTimeout: '1m' }).connectTimeout, '60s');
  assert.equal(meshSettings({}).connectTimeout, '10s');
  assert.equal(meshSettings({ outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } }).outboundTrafficPolicy, 'REGISTRY_ONLY');
});
