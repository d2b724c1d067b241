// A real gRPC ADS stream against the server, with Envoy's protos on both ends.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { parseAllDocuments } from 'yaml';
import { adsServiceDefinition, startAdsServer } from '../../src/xds/ads-server.js';
import type { AdsServer } from '../../src/xds/ads-server.js';
import { unpackAny } from '../../src/xds/codec.js';
import { buildModel } from '../../src/discovery/model.js';
import { DiscoverySource } from '../../src/discovery/source.js';
import { TypeUrl } from '../../src/discovery/generate/index.js';

type Obj = Record<string, any>;
const here = path.dirname(fileURLToPath(import.meta.url));
const bookinfo = parseAllDocuments(readFileSync(path.join(here, '..', 'discovery', 'fixtures', 'bookinfo.yaml'), 'utf8')).map((d) => d.toJS() as Obj);
const NODE = 'sidecar~10.4.1.5~reviews-v1-545db77b95-jkgv2.default~default.svc.cluster.local';

/** A minimal ADS client over grpc-js: send requests, await responses in order. */
class AdsClient {
  private readonly responses: Obj[] = [];
  private waiters: ((r: Obj) => void)[] = [];
  readonly call: grpc.ClientDuplexStream<Obj, Obj>;
  ended: Promise<grpc.ServiceError | undefined>;
  constructor(port: number) {
    const Client = grpc.makeGenericClientConstructor(adsServiceDefinition(), 'AggregatedDiscoveryService');
    const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as { StreamAggregatedResources(): grpc.ClientDuplexStream<Obj, Obj>; close(): void };
    this.call = client.StreamAggregatedResources();
    this.ended = new Promise((resolve) => {
      this.call.on('error', (e: grpc.ServiceError) => resolve(e));
      this.call.on('end', () => resolve(undefined));
    });
    this.call.on('data', (r: Obj) => {
      const waiter = this.waiters.shift();
      if (waiter) waiter(r);
      else this.responses.push(r);
    });
  }
  send(typeUrl: string, extra: Obj = {}): void {
    this.call.write({ node: { id: NODE, metadata: { fields: { NAMESPACE: { stringValue: 'default' } } } }, type_url: typeUrl, ...extra });
  }
  next(timeoutMs = 3000): Promise<Obj> {
    const ready = this.responses.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no response')), timeoutMs);
      this.waiters.push((r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
  }
  pending(): number {
    return this.responses.length;
  }
  close(): void {
    this.call.end();
  }
}

const names = (response: Obj) => (response['resources'] as Obj[]).map((r) => {
  const json = unpackAny(r as { type_url: string; value: Uint8Array });
  return String(json['name'] ?? json['cluster_name']);
});

describe('ADS over gRPC', () => {
  let server: AdsServer;
  let source: DiscoverySource;
  before(async () => {
    source = new DiscoverySource(buildModel(bookinfo));
    server = await startAdsServer({ address: '127.0.0.1:0', source });
  });
  after(() => server.close());

  test('subscribe to CDS, get the clusters with a version and nonce, ACK', async () => {
    const client = new AdsClient(server.port);
    client.send(TypeUrl.Cluster);
    const response = await client.next();
    assert.equal(response['type_url'], TypeUrl.Cluster);
    assert.ok(names(response).includes('outbound|9080||ratings.default.svc.cluster.local'));
    assert.ok(response['nonce']);
    assert.equal(response['version_info'], source.version);
    client.send(TypeUrl.Cluster, { version_info: response['version_info'], response_nonce: response['nonce'] });
    await new Promise((r) => setTimeout(r, 100));
    const watch = server.streams().find((s) => s.nodeId === NODE)!.watches.find((w) => w.typeUrl === TypeUrl.Cluster)!;
    assert.equal(watch.ackedVersion, response['version_info']);
    client.close();
  });

  test('EDS by resource name; a NACK is recorded and the proxy keeps the last good version', async () => {
    const client = new AdsClient(server.port);
    client.send(TypeUrl.ClusterLoadAssignment, { resource_names: ['outbound|9080||ratings.default.svc.cluster.local'] });
    const eds = await client.next();
    assert.deepEqual(names(eds), ['outbound|9080||ratings.default.svc.cluster.local']);
    client.send(TypeUrl.ClusterLoadAssignment, { version_info: '', response_nonce: eds['nonce'], resource_names: ['outbound|9080||ratings.default.svc.cluster.local'], error_detail: { code: 3, message: 'cannot apply' } });
    await new Promise((r) => setTimeout(r, 100));
    const watch = server.streams().find((s) => s.nodeId === NODE)!.watches.find((w) => w.typeUrl === TypeUrl.ClusterLoadAssignment)!;
    assert.deepEqual(watch.nack, { version: eds['version_info'], message: 'cannot apply' });
    client.close();
  });

  test('a registry change pushes only the types whose content changed for this proxy', async () => {
    const client = new AdsClient(server.port);
    client.send(TypeUrl.Cluster);
    const cds = await client.next();
    client.send(TypeUrl.Cluster, { version_info: cds['version_info'], response_nonce: cds['nonce'] });
    client.send(TypeUrl.ClusterLoadAssignment, { resource_names: ['outbound|9080||ratings.default.svc.cluster.local'] });
    const eds = await client.next();
    client.send(TypeUrl.ClusterLoadAssignment, { version_info: eds['version_info'], response_nonce: eds['nonce'], resource_names: ['outbound|9080||ratings.default.svc.cluster.local'] });
    await new Promise((r) => setTimeout(r, 100));
    // A second ratings pod: endpoints change, clusters do not.
    source.update(buildModel([...bookinfo, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ratings-v2', namespace: 'default', labels: { app: 'ratings', version: 'v2' } }, spec: { containers: [{ name: 'r', ports: [{ containerPort: 9080 }] }] }, status: { podIP: '10.4.1.13' } }]));
    const pushed = await client.next();
    assert.equal(pushed['type_url'], TypeUrl.ClusterLoadAssignment);
    const cla = unpackAny(pushed['resources'][0]);
    const addresses = (cla['endpoints'] as Obj[]).flatMap((g) => g['lb_endpoints']).map((e: Obj) => e['endpoint']['address']['socket_address']['address']);
    assert.deepEqual(addresses.sort(), ['10.4.1.12', '10.4.1.13']);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(client.pending(), 0, 'no CDS push: the clusters did not change');
    client.close();
  });

  test('a stream whose first request has no node, or a malformed node id, is refused', async () => {
    const client = new AdsClient(server.port);
    client.call.write({ type_url: TypeUrl.Cluster });
    const error = await client.ended;
    assert.equal(error?.code, grpc.status.INVALID_ARGUMENT);
    const bad = new AdsClient(server.port);
    bad.call.write({ node: { id: 'not-a-node-id' }, type_url: TypeUrl.Cluster });
    const badError = await bad.ended;
    assert.equal(badError?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(badError?.details ?? '', /invalid node id/);
  });
});

describe('incremental pushes for named types', () => {
  test('an endpoint change to one cluster pushes that cluster only', async () => {
    const source = new DiscoverySource(buildModel(bookinfo));
    const server = await startAdsServer({ address: '127.0.0.1:0', source });
    const client = new AdsClient(server.port);
    const names = ['outbound|9080||ratings.default.svc.cluster.local', 'outbound|9080||reviews.default.svc.cluster.local'];
    try {
      client.send(TypeUrl.ClusterLoadAssignment, { resource_names: names });
      const first = await client.next();
      assert.deepEqual(namesOf(first).sort(), [...names].sort());
      client.send(TypeUrl.ClusterLoadAssignment, { resource_names: names, version_info: first['version_info'], response_nonce: first['nonce'] });
      source.update(buildModel([...bookinfo, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ratings-v2', namespace: 'default', labels: { app: 'ratings' } }, spec: { containers: [{ name: 'r', ports: [{ containerPort: 9080 }] }] }, status: { podIP: '10.4.1.13' } }]));
      const pushed = await client.next();
      assert.deepEqual(namesOf(pushed), ['outbound|9080||ratings.default.svc.cluster.local']);
    } finally {
      client.close();
      await server.close();
    }
  });
});

function namesOf(response: Obj): string[] {
  return (response['resources'] as Obj[]).map((r) => String(unpackAny(r as { type_url: string; value: Uint8Array })['cluster_name']));
}
