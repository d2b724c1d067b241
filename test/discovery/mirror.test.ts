// VirtualService mirroring → Envoy request_mirror_policies, encoded as Istio does:
// mirrorPercentage over MILLION, the older integer mirrorPercent over HUNDRED,
// 100 % (over HUNDRED) by default, nothing at an explicit 0, and the `mirrors` list.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { buildModel } from '../../src/discovery/model.js';
import { parseNodeId } from '../../src/discovery/proxy.js';
import { generateForProxy } from '../../src/discovery/generate/index.js';

type Obj = Record<string, any>;
const here = path.dirname(fileURLToPath(import.meta.url));
const bookinfo = parseAllDocuments(readFileSync(path.join(here, 'fixtures', 'bookinfo.yaml'), 'utf8')).map((d) => d.toJS() as Obj);
const proxy = parseNodeId('sidecar~10.4.1.5~reviews-v1-545db77b95-jkgv2.default~default.svc.cluster.local');

/** The ratings routes on port 9080 for one VirtualService's http list. */
function ratingsRoutes(http: string): Obj[] {
  const vs = parseAllDocuments(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings, namespace: default}
spec:
  hosts: [ratings]
  http:
${http}`).map((d) => d.toJS() as Obj);
  const { routes } = generateForProxy(buildModel([...bookinfo, ...vs]), proxy);
  const table = routes.find((r) => r['name'] === '9080')!;
  return table['virtualHosts'].find((v: Obj) => v['name'] === 'ratings.default.svc.cluster.local:9080')['routes'];
}

const RATINGS = 'outbound|9080||ratings.default.svc.cluster.local';
const REVIEWS_V2 = 'outbound|9080|v2|reviews.default.svc.cluster.local';

describe('VirtualService mirror → request_mirror_policies', () => {
  test('mirror without a percentage mirrors everything: 100 over HUNDRED, the trace not sampled', () => {
    const [route] = ratingsRoutes(`  - route: [{destination: {host: ratings}}]
    mirror: {host: reviews, subset: v2}`);
    assert.equal(route!['route']['cluster'], RATINGS);
    assert.deepEqual(route!['route']['requestMirrorPolicies'], [
      { cluster: REVIEWS_V2, runtimeFraction: { defaultValue: { numerator: 100, denominator: 'HUNDRED' } }, traceSampled: false },
    ]);
  });

  test('mirrorPercentage is a percentage over MILLION; the older mirrorPercent an integer over HUNDRED', () => {
    const [withPercentage, withPercent] = ratingsRoutes(`  - match: [{uri: {prefix: /a}}]
    route: [{destination: {host: ratings}}]
    mirror: {host: reviews, subset: v2}
    mirrorPercentage: {value: 12.5}
  - route: [{destination: {host: ratings}}]
    mirror: {host: reviews, subset: v2}
    mirrorPercent: 30`);
    assert.deepEqual(withPercentage!['route']['requestMirrorPolicies'][0]['runtimeFraction'], { defaultValue: { numerator: 125_000, denominator: 'MILLION' } });
    assert.deepEqual(withPercent!['route']['requestMirrorPolicies'][0]['runtimeFraction'], { defaultValue: { numerator: 30, denominator: 'HUNDRED' } });
  });

  test('an explicit 0 % mirrors nothing', () => {
    const [route] = ratingsRoutes(`  - route: [{destination: {host: ratings}}]
    mirror: {host: reviews}
    mirrorPercentage: {value: 0}`);
    assert.equal(route!['route']['requestMirrorPolicies'], undefined);
  });

  test('the mirror\'s port: given, else the service\'s only port', () => {
    const [explicit, only] = ratingsRoutes(`  - match: [{uri: {prefix: /a}}]
    route: [{destination: {host: ratings}}]
    mirror: {host: reviews, port: {number: 9081}}
  - route: [{destination: {host: ratings}}]
    mirror: {host: mysqldb}`);
    assert.equal(explicit!['route']['requestMirrorPolicies'][0]['cluster'], 'outbound|9081||reviews.default.svc.cluster.local');
    assert.equal(only!['route']['requestMirrorPolicies'][0]['cluster'], 'outbound|3306||mysqldb.default.svc.cluster.local');
  });

  test('the mirrors list: one policy each, with its own percentage', () => {
    const [route] = ratingsRoutes(`  - route: [{destination: {host: ratings}}]
    mirrors:
    - destination: {host: reviews, subset: v2}
      percentage: {value: 50}
    - destination: {host: productpage}
    - destination: {host: reviews}
      percentage: {value: 0}`);
    assert.deepEqual(route!['route']['requestMirrorPolicies'], [
      { cluster: REVIEWS_V2, runtimeFraction: { defaultValue: { numerator: 500_000, denominator: 'MILLION' } }, traceSampled: false },
      { cluster: 'outbound|9080||productpage.default.svc.cluster.local', runtimeFraction: { defaultValue: { numerator: 100, denominator: 'HUNDRED' } }, traceSampled: false },
    ]);
  });
});
