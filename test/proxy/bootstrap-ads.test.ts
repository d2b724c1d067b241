// A bootstrap with dynamic_resources.ads_config makes the proxy its own xDS
// client, as Envoy is: `outrigger proxy -c` on the agent's bootstrap gets the seeds'
// listeners, routes, clusters and endpoints from `outrigger discovery` over ADS.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDiscovery } from '../../src/discovery/server.js';
import { sidecarIdentity } from '../../src/agent/identity.js';
import { sidecarBootstrap } from '../../src/agent/bootstrap.js';
import { ConfigError, startProxy } from '../../src/proxy/index.js';
import { setSink } from '../../src/log/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const restoreSink = setSink(() => undefined);
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
  setSink(restoreSink);
});

async function until(what: string, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`not ${what} within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the proxy as an ADS client from its bootstrap', () => {
  test("the agent's bootstrap, given to the proxy, brings discovery's configuration for productpage", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ortest-bootstrap-ads-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    copyFileSync(path.join(here, '..', 'discovery', 'fixtures', 'bookinfo.yaml'), path.join(dir, 'bookinfo.yaml'));
    const discovery = await startDiscovery({ configDir: dir, grpcAddr: '127.0.0.1:0', monitoringAddr: '127.0.0.1:0' });
    cleanups.push(() => discovery.close());

    const identity = sidecarIdentity({ POD_NAME: 'productpage-v1-6b746f74dc-9stvs', POD_NAMESPACE: 'default', INSTANCE_IP: '10.4.1.20' });
    const bootstrap = sidecarBootstrap(identity, { discoveryAddress: `127.0.0.1:${discovery.grpcPort}` }) as Record<string, any>;
    bootstrap['admin'].address.socket_address.port_value = 0;
    const proxy = await startProxy({ bootstrap });
    cleanups.push(() => proxy.shutdown());

    await until('configured', () => proxy.clusterManager.get('outbound|9080||reviews.default.svc.cluster.local')?.hosts().length === 3 && proxy.listenerManager.all().some((l) => l.name === 'virtualOutbound') && proxy.routeConfigs.all().some((r) => r.name === '9080'));
    const names = proxy.listenerManager.all().map((l) => l.name);
    for (const name of ['virtualOutbound', 'virtualInbound', '0.0.0.0_9080']) assert.ok(names.includes(name), names.join(' '));
    assert.deepEqual(proxy.clusterManager.get('outbound|9080||reviews.default.svc.cluster.local')!.hosts().map((h) => h.key).sort(), ['10.4.1.5:9080', '10.4.1.6:9080', '10.4.1.7:9080']);
    // config_dump keeps the bootstrap's ADS section and lists what came over ADS as dynamic.
    const dump = proxy.configDump() as Record<string, any>;
    const dynamicClusters = dump['configs'].find((c: Record<string, any>) => c['@type'].endsWith('ClustersConfigDump'))['dynamic_active_clusters'] as unknown[];
    assert.ok(dynamicClusters.length > 5);
  });

  test('an ADS config the proxy cannot follow is refused at start, naming the field', async () => {
    const base = { admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } } };
    await assert.rejects(startProxy({ bootstrap: { ...base, dynamic_resources: { ads_config: { api_type: 'GRPC', grpc_services: [{ envoy_grpc: { cluster_name: 'xds-grpc' } }] } } } }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(String((error as Error).message), /cluster "xds-grpc" is not a static cluster of the bootstrap/);
      return true;
    });
    await assert.rejects(startProxy({ bootstrap: { ...base, dynamic_resources: { ads_config: { api_type: 'REST', grpc_services: [{ envoy_grpc: { cluster_name: 'x' } }] } } } }), /api_type REST is not supported/);
  });
});
