// Interoperability: gRPC's own xDS client (proxyless, @grpc/grpc-js-xds) configured
// by our discovery server reaches the gRPC servers behind a service, round robin,
// and follows a VirtualService that moves all traffic to one subset.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { startAdsServer } from '../../src/xds/ads-server.js';
import type { AdsServer } from '../../src/xds/ads-server.js';
import { buildModel } from '../../src/discovery/model.js';
import { DiscoverySource } from '../../src/discovery/source.js';

type Obj = Record<string, unknown>;
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');

async function echoServer(name: string): Promise<{ port: number; server: grpc.Server }> {
  const server = new grpc.Server();
  server.addService(
    { Say: { path: '/outrigger.test.Echo/Say', requestStream: false, responseStream: false, requestDeserialize: (b: Buffer) => ({ text: b.toString() }), requestSerialize: (r: { text: string }) => Buffer.from(r.text), responseSerialize: (s: string) => Buffer.from(s), responseDeserialize: (b: Buffer) => b.toString() } },
    { Say: (_call: grpc.ServerUnaryCall<{ text: string }, string>, callback: grpc.sendUnaryData<string>) => callback(null, name) },
  );
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { port, server };
}

function registry(ports: [number, number], extra: Obj[] = []): Obj[] {
  const pod = (name: string, version: string, port: number) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { app: 'echo', version } }, spec: { containers: [{ name: 'echo', ports: [{ name: 'grpc', containerPort: port }] }] }, status: { podIP: '127.0.0.1' } });
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'echo', namespace: 'default' }, spec: { clusterIP: '10.96.7.7', selector: { app: 'echo' }, ports: [{ name: 'grpc', port: 7070, targetPort: 'grpc' }] } },
    pod('echo-v1', 'v1', ports[0]),
    pod('echo-v2', 'v2', ports[1]),
    ...extra,
  ];
}

describe('proxyless gRPC (gRPC xDS client) against outrigger discovery', () => {
  let v1: { port: number; server: grpc.Server };
  let v2: { port: number; server: grpc.Server };
  let ads: AdsServer;
  let source: DiscoverySource;
  let dir: string;
  before(async () => {
    v1 = await echoServer('echo-v1');
    v2 = await echoServer('echo-v2');
    source = new DiscoverySource(buildModel(registry([v1.port, v2.port])));
    ads = await startAdsServer({ address: '127.0.0.1:0', source });
    dir = mkdtempSync(path.join(tmpdir(), 'grpc-xds-'));
    writeFileSync(path.join(dir, 'bootstrap.json'), JSON.stringify({
      xds_servers: [{ server_uri: `127.0.0.1:${ads.port}`, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
      node: { id: 'sidecar~127.0.0.1~client-0.default~default.svc.cluster.local', locality: {}, metadata: { GENERATOR: 'grpc', NAMESPACE: 'default' } },
    }));
  });
  after(async () => {
    await ads.close();
    v1.server.forceShutdown();
    v2.server.forceShutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  const callMany = (target: string, count: number) =>
    new Promise<Obj[]>((resolve) => {
      execFile(process.execPath, [path.join(here, 'fixtures-grpc-client.mjs'), target, String(count)], { cwd: repo, env: { ...process.env, GRPC_XDS_BOOTSTRAP: path.join(dir, 'bootstrap.json') }, timeout: 20000 }, (_e, stdout) => {
        resolve(stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Obj));
      });
    });

  test('the client resolves the service through ADS and balances across both endpoints', async () => {
    const replies = await callMany('echo.default.svc.cluster.local:7070', 6);
    assert.equal(replies.length, 6, JSON.stringify(replies));
    assert.deepEqual([...new Set(replies.map((r) => r['reply']))].sort(), ['echo-v1', 'echo-v2'], JSON.stringify(replies));
  });

  test('a VirtualService sending everything to v2 is followed', async () => {
    source.update(buildModel(registry([v1.port, v2.port], [
      { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'echo', namespace: 'default' }, spec: { host: 'echo', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] } },
      { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'echo', namespace: 'default' }, spec: { hosts: ['echo'], http: [{ route: [{ destination: { host: 'echo', subset: 'v2' } }] }] } },
    ])));
    const replies = await callMany('echo.default.svc.cluster.local:7070', 4);
    assert.deepEqual(replies.map((r) => r['reply']), ['echo-v2', 'echo-v2', 'echo-v2', 'echo-v2'], JSON.stringify(replies));
  });
});
