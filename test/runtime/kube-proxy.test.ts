import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chainName, renderKubeProxyRules } from '../../src/runtime/kube-proxy.js';
import { hostsFile, resolvConf } from '../../src/runtime/dns.js';
import { sidecarDecision } from '../../src/runtime/injection.js';
import { serviceRules } from '../../src/runtime/endpoints.js';
import { parseManifests } from '../../src/runtime/manifests.js';
import { planCluster } from '../../src/runtime/plan.js';

describe('kube-proxy rules', () => {
  const text = renderKubeProxyRules([
    { namespace: 'default', name: 'reviews', portName: 'http', clusterIP: '10.96.0.3', port: 9080, protocol: 'TCP', endpoints: ['10.244.0.4:9080', '10.244.0.5:9080', '10.244.0.6:9080'] },
    { namespace: 'default', name: 'ratings', portName: 'http', clusterIP: '10.96.0.4', port: 9080, protocol: 'TCP', endpoints: [] },
  ]);
  const lines = text.split('\n');
  const svc = chainName('KUBE-SVC-', 'default/reviews:http/tcp');

  test('a VIP jumps to its service chain', () => {
    assert.ok(lines.includes(`-A KUBE-SERVICES -d 10.96.0.3/32 -p tcp -m comment --comment "default/reviews:http cluster IP" -m tcp --dport 9080 -j ${svc}`));
  });
  test('endpoints are chosen with equal chances: 1/3, then 1/2, then the rest', () => {
    const picks = lines.filter((l) => l.startsWith(`-A ${svc} `));
    assert.equal(picks.length, 3);
    assert.match(picks[0]!, /--probability 0.33333333333 -j KUBE-SEP-/);
    assert.match(picks[1]!, /--probability 0.50000000000 -j KUBE-SEP-/);
    assert.doesNotMatch(picks[2]!, /probability/);
  });
  test('each endpoint chain marks for masquerade and DNATs', () => {
    const sep = chainName('KUBE-SEP-', 'default/reviews:http/tcp/10.244.0.5:9080');
    assert.ok(lines.includes(`-A ${sep} -m comment --comment "default/reviews:http" -j KUBE-MARK-MASQ`));
    assert.ok(lines.includes(`-A ${sep} -p tcp -m comment --comment "default/reviews:http" -m tcp -j DNAT --to-destination 10.244.0.5:9080`));
    assert.ok(lines.includes('-A KUBE-POSTROUTING -j MASQUERADE --random-fully'));
  });
  test('a service without ready endpoints is rejected in the filter table', () => {
    assert.ok(lines.includes('-A KUBE-SERVICES -d 10.96.0.4/32 -p tcp -m comment --comment "default/ratings:http has no endpoints" -m tcp --dport 9080 -j REJECT --reject-with icmp-port-unreachable'));
    assert.ok(!text.includes('10.96.0.4/32 -p tcp -m comment --comment "default/ratings:http cluster IP"'));
  });
  test('every chain used is declared', () => {
    const declared = new Set(lines.filter((l) => l.startsWith(':')).map((l) => l.slice(1).split(' ')[0]));
    for (const l of lines.filter((x) => x.includes(' -j KUBE-'))) assert.ok(declared.has(/-j (KUBE-[A-Z0-9-]+)/.exec(l)![1]), l);
    assert.ok(chainName('KUBE-SEP-', 'x').length <= 28);
  });
});

describe('serviceRules', () => {
  const plan = planCluster(
    parseManifests(
      `apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: http}, {name: raw, port: 81, targetPort: 9081}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: a, labels: {app: web}}\nspec: {containers: [{name: c, image: x, command: [sleep], ports: [{name: http, containerPort: 8080}]}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b, labels: {app: other}}\nspec: {containers: [{name: c, image: x, command: [sleep]}]}\n`,
      'x.yaml',
    ),
    { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/16', netnsPrefix: 'x-', resolveProgram: (n) => `/bin/${n}` },
  );
  test('selected, ready pods at the named or numbered target port', () => {
    assert.deepEqual(serviceRules(plan.services, plan.pods, () => true).map((r) => [r.port, r.endpoints]), [[80, ['10.244.0.2:8080']], [81, ['10.244.0.2:9081']]]);
    assert.deepEqual(serviceRules(plan.services, plan.pods, () => false).map((r) => r.endpoints), [[], []]);
  });
});

describe('pod DNS files', () => {
  const services = [
    { name: 'ratings', namespace: 'default', clusterIP: '10.96.0.4' },
    { name: 'db', namespace: 'data', clusterIP: '10.96.0.9' },
    { name: 'headless', namespace: 'default', clusterIP: 'None' },
  ];
  test('short names only for the pod namespace', () => {
    const hosts = hostsFile({ name: 'p-1', namespace: 'default', ip: '10.244.0.2', labels: {} }, services);
    assert.match(hosts, /^10.244.0.2\tp-1$/m);
    assert.match(hosts, /^10.96.0.4\tratings.default.svc.cluster.local ratings.default.svc ratings.default ratings$/m);
    assert.match(hosts, /^10.96.0.9\tdb.data.svc.cluster.local db.data.svc db.data$/m);
    assert.doesNotMatch(hosts, /headless/);
  });
  test('headless Services name their pods; StatefulSet pods get stable names', () => {
    const db = (i: number) => ({ name: `db-${i}`, namespace: 'data', ip: `10.244.0.${10 + i}`, labels: { app: 'db' }, hostname: `db-${i}`, subdomain: 'db' });
    const pods = [db(0), db(1)];
    const hosts = hostsFile(db(0), [{ name: 'db', namespace: 'data', clusterIP: 'None', selector: { app: 'db' } }], pods);
    assert.match(hosts, /^10.244.0.10\tdb-0.db.data.svc.cluster.local db-0$/m);
    assert.match(hosts, /^10.244.0.10\tdb.data.svc.cluster.local db.data.svc db.data db$/m);
    assert.match(hosts, /^10.244.0.11\tdb.data.svc.cluster.local db.data.svc db.data db$/m);
    assert.match(hosts, /^10.244.0.11\tdb-1.db.data.svc.cluster.local$/m);
  });
  test('resolv.conf search path', () => assert.match(resolvConf('data'), /^search data.svc.cluster.local svc.cluster.local cluster.local$/m));
});

describe('sidecarDecision', () => {
  const cases: [string, Record<string, string>, Record<string, string>, Record<string, string>, boolean, boolean][] = [
    ['namespace enabled', { 'istio-injection': 'enabled' }, {}, {}, false, true],
    ['namespace enabled, pod opts out by label', { 'istio-injection': 'enabled' }, { 'sidecar.istio.io/inject': 'false' }, {}, false, false],
    ['namespace enabled, pod opts out by annotation', { 'istio-injection': 'enabled' }, {}, { 'sidecar.istio.io/inject': 'false' }, false, false],
    ['pod opts in', {}, { 'sidecar.istio.io/inject': 'true' }, {}, false, true],
    ['namespace disabled, pod opts in', { 'istio-injection': 'disabled' }, {}, { 'sidecar.istio.io/inject': 'true' }, false, true],
    ['revision label', { 'istio.io/rev': 'canary' }, {}, {}, false, true],
    ['nothing asked', {}, {}, {}, false, false],
    ['host network', { 'istio-injection': 'enabled' }, { 'sidecar.istio.io/inject': 'true' }, {}, true, false],
  ];
  for (const [name, namespaceLabels, labels, annotations, hostNetwork, inject] of cases) {
    test(name, () => assert.equal(sidecarDecision({ namespaceLabels, labels, annotations, hostNetwork }).inject, inject));
  }
});
