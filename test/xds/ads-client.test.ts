// The ADS client against the real server: subscriptions that follow clusters and
// listeners, ACK and NACK, and reconnection after a control-plane restart.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { AdsClient, ClusterType, EndpointType, ListenerType, RouteType } from '../../src/xds/ads-client.js';
import { startAdsServer } from '../../src/xds/ads-server.js';
import type { JsonObject } from '../../src/xds/ads-server.js';
import { buildModel } from '../../src/discovery/model.js';
import { DiscoverySource } from '../../src/discovery/source.js';
import { setSink } from '../../src/log/index.js';

type Obj = Record<string, any>;
const here = path.dirname(fileURLToPath(import.meta.url));
const bookinfo = parseAllDocuments(readFileSync(path.join(here, '..', 'discovery', 'fixtures', 'bookinfo.yaml'), 'utf8')).map((d) => d.toJS() as Obj);
const NODE = 'sidecar~10.4.1.5~reviews-v1-545db77b95-jkgv2.default~default.svc.cluster.local';

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A data plane stand-in that records what it applied and follows the dependencies as Envoy does. */
function recorder(client: () => AdsClient, refuse?: (typeUrl: string, resources: JsonObject[]) => string | undefined) {
  const applied = new Map<string, JsonObject[]>();
  return {
    applied,
    apply: (typeUrl: string, resources: JsonObject[]) => {
      const problem = refuse?.(typeUrl, resources);
      if (problem) throw new Error(problem);
      applied.set(typeUrl, resources);
      if (typeUrl === ClusterType) client().subscribe(EndpointType, resources.filter((c) => c['type'] === 'EDS').map((c) => String(c['name'])));
      if (typeUrl === ListenerType) {
        const chains = (l: Obj): Obj[] => [...((l['filter_chains'] as Obj[] | undefined) ?? []), ...(l['default_filter_chain'] ? [l['default_filter_chain'] as Obj] : [])];
        const routes = (resources as Obj[]).flatMap(chains).flatMap((c) => (c['filters'] as Obj[] | undefined) ?? []).map((f) => f['typed_config']?.['rds']?.['route_config_name'] as string | undefined).filter((n): n is string => Boolean(n));
        client().subscribe(RouteType, routes);
      }
    },
  };
}

describe('ADS client', () => {
  test('clusters and listeners, then the endpoints and routes they name; all ACKed', async () => {
    const source = new DiscoverySource(buildModel(bookinfo));
    const server = await startAdsServer({ address: '127.0.0.1:0', source });
    let client!: AdsClient;
    const plane = recorder(() => client);
    client = new AdsClient({ address: `127.0.0.1:${server.port}`, node: { id: NODE, metadata: { NAMESPACE: 'default' } }, apply: plane.apply });
    client.start();
    try {
      await until(() => plane.applied.has(EndpointType) && plane.applied.has(RouteType), 'all four types');
      assert.ok(plane.applied.get(ClusterType)!.some((c) => c['name'] === 'inbound|9080||'));
      assert.deepEqual(plane.applied.get(RouteType)!.map((r) => r['name']), ['9080']);
      assert.ok(plane.applied.get(EndpointType)!.some((e) => e['cluster_name'] === 'outbound|9080||ratings.default.svc.cluster.local'));
      await until(() => (server.streams()[0]?.watches ?? []).filter((w) => w.ackedVersion === source.version).length === 4, 'four ACKs');
    } finally {
      client.stop();
      await server.close();
    }
  });

  test('a refused update is NACKed with the reason; the next good one is ACKed', async () => {
    const source = new DiscoverySource(buildModel(bookinfo));
    const server = await startAdsServer({ address: '127.0.0.1:0', source });
    let refuse = true;
    let client!: AdsClient;
    const plane = recorder(() => client, (type) => (type === ListenerType && refuse ? 'listener virtualInbound: unsupported field' : undefined));
    client = new AdsClient({ address: `127.0.0.1:${server.port}`, node: { id: NODE }, apply: plane.apply });
    client.start();
    try {
      await until(() => server.streams()[0]?.watches.some((w) => w.typeUrl === ListenerType && w.nack) ?? false, 'the NACK');
      const watch = server.streams()[0]!.watches.find((w) => w.typeUrl === ListenerType)!;
      assert.equal(watch.nack!.message, 'listener virtualInbound: unsupported field');
      assert.equal(client.status()[ListenerType]!.nack, 'listener virtualInbound: unsupported field');
      refuse = false;
      source.update(buildModel([...bookinfo, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'extra', namespace: 'default' }, spec: { clusterIP: '10.8.0.99', ports: [{ name: 'http', port: 9090 }] } }]));
      await until(() => plane.applied.has(ListenerType), 'the accepted listeners');
      assert.ok(plane.applied.get(ListenerType)!.some((l) => l['name'] === '0.0.0.0_9090'));
      await until(() => !server.streams()[0]!.watches.find((w) => w.typeUrl === ListenerType)!.nack, 'the NACK cleared');
    } finally {
      client.stop();
      await server.close();
    }
  });

  test('after a control-plane restart the client reconnects and keeps what it had meanwhile', async () => {
    const restore = setSink(() => {});
    const source = new DiscoverySource(buildModel(bookinfo));
    let server = await startAdsServer({ address: '127.0.0.1:0', source });
    const port = server.port;
    let client!: AdsClient;
    const plane = recorder(() => client);
    client = new AdsClient({ address: `127.0.0.1:${port}`, node: { id: NODE }, apply: plane.apply, initialBackoffMs: 50, maxBackoffMs: 200 });
    client.start();
    try {
      await until(() => plane.applied.has(RouteType), 'the first config');
      await server.close();
      await until(() => !client.connected, 'the disconnect');
      assert.ok(plane.applied.has(ClusterType), 'the last config is kept while the control plane is away');
      plane.applied.clear();
      server = await startAdsServer({ address: `127.0.0.1:${port}`, source });
      await until(() => plane.applied.has(ClusterType) && plane.applied.has(ListenerType), 'the config after reconnecting');
      assert.ok(client.connected);
    } finally {
      client.stop();
      await server.close();
      setSink(restore);
    }
  });
});
