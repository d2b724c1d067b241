// The Bookinfo sample as the runtime and discovery see it: six pods from four
// Services' Deployments, and routing samples that discovery accepts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { buildModel } from '../../src/discovery/model.js';
import { discoveryObjects } from '../../src/runtime/discovery-feed.js';
import { configChanges } from '../../src/runtime/apply.js';
import { loadManifests } from '../../src/runtime/manifests.js';
import { planCluster } from '../../src/runtime/plan.js';
import { packageRoot } from '../../src/paths.js';

const bookinfo = path.join(packageRoot, 'samples', 'bookinfo');
const networking = path.join(bookinfo, 'networking');
const plan = planCluster(loadManifests([bookinfo]), {
  podCidr: '10.244.0.0/16',
  serviceCidr: '10.96.0.0/16',
  netnsPrefix: 'outrigger-',
  resolveProgram: (n) => `/usr/bin/${n}`,
  runtimeVars: { OUTRIGGER_SAMPLES: '/srv/samples' },
});

describe('samples/bookinfo', () => {
  test('the directory plans to six pods, four Services and four ServiceAccounts', () => {
    assert.deepEqual(plan.pods.map((p) => `${p.labels['app']}-${p.labels['version']}`), ['details-v1', 'ratings-v1', 'reviews-v1', 'reviews-v2', 'reviews-v3', 'productpage-v1']);
    assert.deepEqual(plan.services.map((s) => [s.name, s.ports[0]]), ['details', 'ratings', 'reviews', 'productpage'].map((n) => [n, { name: 'http', port: 9080, targetPort: 9080, protocol: 'TCP' }]));
    assert.deepEqual(plan.serviceAccounts.map((s) => s.name), ['bookinfo-details', 'bookinfo-ratings', 'bookinfo-reviews', 'bookinfo-productpage']);
    assert.deepEqual(plan.warnings, []);
    for (const pod of plan.pods) {
      assert.deepEqual(pod.containers[0]!.args, [`/srv/samples/bookinfo/src/${pod.labels['app']}.mjs`]);
      assert.equal(pod.containers[0]!.uid, 1000);
    }
    const v3 = Object.fromEntries(plan.pods[4]!.containers[0]!.env);
    assert.deepEqual([v3['SERVICE_VERSION'], v3['ENABLE_RATINGS'], v3['STAR_COLOR']], ['v3', 'true', 'red']);
  });

  test('discovery sees the Services, ready endpoints and pod labels', () => {
    const model = buildModel(discoveryObjects(plan, (_ns, name) => ({ phase: 'Running', ready: !name.startsWith('reviews-v3') })));
    const reviews = model.services.find((s) => s.name === 'reviews')!;
    assert.equal(reviews.hostname, 'reviews.default.svc.cluster.local');
    assert.equal(reviews.clusterIP, plan.services[2]!.clusterIP);
    const endpoints = model.endpoints.get(`${reviews.hostname}|9080`) ?? [];
    assert.deepEqual(endpoints.map((e) => [e.labels['version'], e.ready, e.serviceAccount]), [['v1', true, 'bookinfo-reviews'], ['v2', true, 'bookinfo-reviews'], ['v3', false, 'bookinfo-reviews']]);
  });

  for (const file of readdirSync(networking).sort()) {
    test(`networking/${file} is Istio config discovery accepts`, () => {
      const objects = loadManifests([path.join(networking, file)]).map((o) => o.object);
      assert.ok(objects.length > 0);
      for (const o of objects) assert.match(String(o.apiVersion), /^networking\.istio\.io\/v1/);
      const model = buildModel([...discoveryObjects(plan, () => ({ phase: 'Running', ready: true })), ...objects]);
      assert.equal(model.virtualServices.length + model.destinationRules.length, objects.length);
    });
  }
});

describe('configChanges (apply -f while running)', () => {
  test('Istio objects become one registry file each, in their namespace', () => {
    const objects = loadManifests([path.join(networking, 'virtual-service-all-v1.yaml')]);
    const changes = configChanges(objects, plan);
    assert.deepEqual(changes.map((c) => [c.file, c.resource]), ['productpage', 'reviews', 'ratings', 'details'].map((n) => [`virtualservice.default.${n}.yaml`, `virtualservice.networking.istio.io/${n}`]));
    assert.match(changes[1]!.yaml, /namespace: default/);
  });
  test('anything else (the supervisor\'s part), or an unknown namespace, is refused with the reason', () => {
    const objects = [
      { object: { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } }, source: 'x.yaml document 1 (line 1)' },
      { object: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'v', namespace: 'ghost' } }, source: 'x.yaml document 2 (line 4)' },
    ];
    assert.throws(() => configChanges(objects, plan), (error: Error) => {
      assert.match(error.message, /document 1 \(line 1\): Service "s": not Istio configuration \(\*\.istio\.io\)/);
      assert.match(error.message, /document 2 \(line 4\): VirtualService "ghost\/v": metadata.namespace: namespace "ghost" is not in the cluster/);
      return true;
    });
  });
});

test('--discovery adds istiod to istio-system, serving the registry directory', async () => {
  const { controlPlaneObjects } = await import('../../src/runtime/control-plane.js');
  const withControlPlane = planCluster([...controlPlaneObjects(false).map((object) => ({ object, source: 'cp' })), ...loadManifests([bookinfo])], {
    podCidr: '10.244.0.0/16',
    serviceCidr: '10.96.0.0/16',
    netnsPrefix: 'outrigger-',
    resolveProgram: (n) => `/usr/bin/${n}`,
    runtimeVars: { OUTRIGGER_SAMPLES: '/srv/samples', OUTRIGGER_REGISTRY: '/run/outrigger/registry' },
  });
  const istiod = withControlPlane.pods.find((p) => p.namespace === 'istio-system')!;
  assert.deepEqual([istiod.containers[0]!.program, istiod.containers[0]!.args.slice(0, 3), istiod.injected], [{ kind: 'outrigger' }, ['discovery', '--configDir', '/run/outrigger/registry'], false]);
  assert.deepEqual(withControlPlane.services.find((s) => s.name === 'istiod')!.ports.map((p) => p.port), [15010, 15014]);
  assert.equal(controlPlaneObjects(true).some((o) => o.kind === 'Namespace'), false);
});
