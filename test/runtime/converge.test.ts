// apply/delete while the cluster runs, as pure steps: what the objects become
// (with kubectl's lines), the re-plan that keeps every address, and which pods
// go and come.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { applyObjects, deleteObjects } from '../../src/runtime/desired.js';
import { diffPlans, keptAddresses } from '../../src/runtime/converge.js';
import { loadManifests } from '../../src/runtime/manifests.js';
import type { SourcedObject } from '../../src/runtime/manifests.js';
import { planCluster } from '../../src/runtime/plan.js';
import type { PlanOptions } from '../../src/runtime/plan.js';
import { packageRoot } from '../../src/paths.js';

const options: PlanOptions = { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/16', netnsPrefix: 'outrigger-', resolveProgram: (n) => `/usr/bin/${n}`, runtimeVars: { OUTRIGGER_SAMPLES: '/srv/samples' } };
const bookinfo = loadManifests([path.join(packageRoot, 'samples', 'bookinfo', 'bookinfo.yaml')]);

function objects(text: string): SourcedObject[] {
  return parseAllDocuments(text).map((d, i) => ({ object: d.toJS() as SourcedObject['object'], source: `apply.yaml document ${i + 1}` }));
}

/** A Service that sorts before Bookinfo's in the plan, and its Deployment. */
const echo = (version: string) => objects(`apiVersion: v1
kind: Service
metadata: {name: echo}
spec: {selector: {app: echo}, ports: [{name: http, port: 8080}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: echo}
spec:
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec:
      containers: [{name: echo, image: example/echo, command: [node, -e, "1"], env: [{name: VERSION, value: "${version}"}]}]
`);

describe('applyObjects / deleteObjects', () => {
  test("kubectl's lines: created, unchanged, configured; the namespace is written out", () => {
    const first = applyObjects(bookinfo, echo('1'));
    assert.deepEqual(first.lines, ['service/echo created', 'deployment.apps/echo created']);
    assert.equal(first.changed, true);
    assert.equal(first.objects.at(-1)!.object.metadata?.namespace, 'default');
    const again = applyObjects(first.objects, echo('1'));
    // Objects from `up` keep their namespace unwritten; the same manifest applied again is still unchanged.
    assert.deepEqual(applyObjects(echo('1'), echo('1')).lines, ['service/echo unchanged', 'deployment.apps/echo unchanged']);
    assert.deepEqual(again.lines, ['service/echo unchanged', 'deployment.apps/echo unchanged']);
    assert.equal(again.changed, false);
    const changed = applyObjects(first.objects, echo('2'));
    assert.deepEqual(changed.lines, ['service/echo unchanged', 'deployment.apps/echo configured']);
    assert.equal(changed.objects.length, first.objects.length);
  });

  test('delete removes by kind, namespace and name; a missing object is NotFound', () => {
    const withEcho = applyObjects(bookinfo, echo('1')).objects;
    const gone = deleteObjects(withEcho, echo('whatever'));
    assert.deepEqual(gone.lines, ['service "echo" deleted', 'deployment.apps "echo" deleted']);
    assert.equal(gone.objects.length, bookinfo.length);
    assert.deepEqual(deleteObjects(bookinfo, echo('1')).missing, ['Error from server (NotFound): services "echo" not found', 'Error from server (NotFound): deployments.apps "echo" not found']);
  });
});

describe('re-planning a running cluster', () => {
  const before = planCluster(bookinfo, options);

  test('a new Service and Deployment: every existing pod and VIP keeps its address, only the new pod is created', () => {
    const after = planCluster(applyObjects(bookinfo, echo('1')).objects, { ...options, keep: keptAddresses(before) });
    for (const pod of before.pods) assert.equal(after.pods.find((p) => p.name === pod.name)?.ip, pod.ip, pod.name);
    for (const svc of before.services) assert.equal(after.services.find((s) => s.name === svc.name)?.clusterIP, svc.clusterIP, svc.name);
    const diff = diffPlans(before, after);
    assert.deepEqual(diff.create.map((p) => p.labels['app']), ['echo']);
    assert.deepEqual(diff.remove, []);
    assert.equal(diff.servicesChanged, true);
    const echoPod = diff.create[0]!;
    assert.ok(!before.pods.some((p) => p.ip === echoPod.ip), `echo got ${echoPod.ip}, an address in use`);
    // Existing pods run on as they started: their environment (Service variables) is not redone.
    const details = diff.pods.find((p) => p.labels['app'] === 'details')!;
    assert.equal(details, before.pods.find((p) => p.labels['app'] === 'details'));
  });

  test('addresses are kept even when new objects come first in the plan', () => {
    const after = planCluster([...echo('1'), ...bookinfo], { ...options, keep: keptAddresses(before) });
    for (const pod of before.pods) assert.equal(after.pods.find((p) => p.name === pod.name)?.ip, pod.ip, pod.name);
    for (const svc of before.services) assert.equal(after.services.find((s) => s.name === svc.name)?.clusterIP, svc.clusterIP, svc.name);
    const fresh = planCluster([...echo('1'), ...bookinfo], options);
    assert.notEqual(fresh.services.find((s) => s.name === 'details')!.clusterIP, before.services.find((s) => s.name === 'details')!.clusterIP, 'without keep, the order would move VIPs: the test would prove nothing');
  });

  test("a changed template rolls the Deployment: the old pod goes, a new one (new name) comes", () => {
    const v1 = planCluster(applyObjects(bookinfo, echo('1')).objects, options);
    const v2 = planCluster(applyObjects(applyObjects(bookinfo, echo('1')).objects, echo('2')).objects, { ...options, keep: keptAddresses(v1) });
    const diff = diffPlans(v1, v2);
    assert.equal(diff.remove.length, 1);
    assert.equal(diff.create.length, 1);
    assert.notEqual(diff.remove[0]!.name, diff.create[0]!.name);
    assert.match(diff.create[0]!.name, /^echo-[a-z0-9]+-[a-z0-9]+$/);
    // The new pod does not take the address just freed: peers may still hold an ARP entry for it.
    assert.notEqual(diff.create[0]!.ip, diff.remove[0]!.ip);
    assert.ok(!v1.pods.some((p) => p.ip === diff.create[0]!.ip));
    assert.equal(diff.servicesChanged, false);
  });

  test('deleting a Deployment removes its pods; deleting nothing changes nothing', () => {
    const withEcho = applyObjects(bookinfo, echo('1')).objects;
    const planned = planCluster(withEcho, options);
    const after = planCluster(deleteObjects(withEcho, echo('1')).objects, { ...options, keep: keptAddresses(planned) });
    const diff = diffPlans(planned, after);
    assert.deepEqual(diff.remove.map((p) => p.labels['app']), ['echo']);
    assert.deepEqual(diff.create, []);
    assert.equal(diff.servicesChanged, true);
    const same = diffPlans(planned, planCluster(withEcho, { ...options, keep: keptAddresses(planned) }));
    assert.deepEqual([same.remove, same.create, same.servicesChanged], [[], [], false]);
  });
});
