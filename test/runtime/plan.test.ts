import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseManifests } from '../../src/runtime/manifests.js';
import { PlanError, planCluster } from '../../src/runtime/plan.js';
import type { PlanOptions } from '../../src/runtime/plan.js';

const options: PlanOptions = {
  podCidr: '10.244.0.0/16',
  serviceCidr: '10.96.0.0/16',
  netnsPrefix: 'or-',
  resolveProgram: (name) => (['node', 'sleep', '/bin/true'].includes(name) ? (name.startsWith('/') ? name : `/usr/bin/${name}`) : undefined),
  runtimeVars: { OUTRIGGER_SAMPLES: '/srv/samples' },
};

const APP = `
apiVersion: v1
kind: ServiceAccount
metadata: {name: bookinfo-ratings}
---
apiVersion: v1
kind: Service
metadata: {name: ratings, labels: {app: ratings}}
spec:
  ports: [{port: 9080, name: http}]
  selector: {app: ratings}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ratings-v1}
spec:
  replicas: 2
  selector: {matchLabels: {app: ratings, version: v1}}
  template:
    metadata: {labels: {app: ratings, version: v1}}
    spec:
      serviceAccountName: bookinfo-ratings
      containers:
      - name: ratings
        image: outrigger/examples-bookinfo-ratings-v1
        command: [node, "$(OUTRIGGER_SAMPLES)/bookinfo/src/ratings.mjs"]
        args: ["--port", "$(PORT)"]
        env:
        - {name: PORT, value: "9080"}
        - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
        - {name: INSTANCE_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
        ports: [{containerPort: 9080}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: busybox, command: [sleep, "1000"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings}
spec: {hosts: [ratings], http: [{route: [{destination: {host: ratings}}]}]}
`;

function plan(text: string, extra: Partial<PlanOptions> = {}) {
  return planCluster(parseManifests(text, 'app.yaml'), { ...options, ...extra });
}

function problems(text: string, extra: Partial<PlanOptions> = {}): string[] {
  try {
    plan(text, extra);
  } catch (error) {
    if (error instanceof PlanError) return [...error.problems];
    throw error;
  }
  assert.fail('expected the plan to fail');
}

describe('planCluster', () => {
  const p = plan(APP);

  test('one pod per replica, named as the controllers name them', () => {
    const names = p.pods.map((pod) => pod.name);
    assert.equal(names.length, 4);
    assert.match(names[0]!, /^ratings-v1-[bcdfghjklmnpqrstvwxz2456789]{10}-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.notEqual(names[0], names[1]);
    assert.equal(names[0]!.split('-')[2], names[1]!.split('-')[2], 'replicas share the pod-template-hash');
    assert.deepEqual(names.slice(2), ['db-0', 'db-1']);
    assert.equal(p.pods[0]!.labels['pod-template-hash'], names[0]!.split('-')[2]);
    assert.deepEqual(p.pods[0]!.owner, { kind: 'ReplicaSet', name: names[0]!.split('-').slice(0, 3).join('-') });
    assert.equal(p.pods[2]!.labels['statefulset.kubernetes.io/pod-name'], 'db-0');
    assert.equal((p.pods[2]!.object['spec'] as { hostname: string }).hostname, 'db-0');
  });

  test('the plan is reproducible', () => assert.deepEqual(plan(APP), p));

  test('a Job runs one pod to completion, labelled with its job name', () => {
    const job = plan('apiVersion: batch/v1\nkind: Job\nmetadata: {name: migrate}\nspec: {template: {spec: {restartPolicy: Never, containers: [{name: m, image: x, command: [sleep]}]}}}\n');
    const pod = job.pods[0]!;
    assert.match(pod.name, /^migrate-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.deepEqual([pod.labels['job-name'], pod.owner, pod.containers[0]!.restartPolicy], ['migrate', { kind: 'Job', name: 'migrate' }, 'Never']);
  });

  test('addresses: the bridge first, then pods; services from the service range', () => {
    assert.deepEqual(p.bridge, { name: 'outrigger0', ip: '10.244.0.1', prefix: 16 });
    assert.deepEqual(p.pods.map((pod) => pod.ip), ['10.244.0.2', '10.244.0.3', '10.244.0.4', '10.244.0.5']);
    assert.equal(p.services[0]!.clusterIP, '10.96.0.1');
    assert.deepEqual(p.services[0]!.ports, [{ name: 'http', port: 9080, targetPort: 9080, protocol: 'TCP' }]);
  });

  test('network namespaces and veth names', () => {
    const pod = p.pods[2]!;
    assert.equal(pod.netns, 'or-default-db-0');
    assert.match(pod.veth, /^veth[0-9a-f]{8}$/);
    assert.equal(p.nodeNetns, 'or-node');
  });

  test('launch specs: program found, $(VAR) expanded, fieldRef env filled', () => {
    const c = p.pods[0]!.containers[0]!;
    assert.deepEqual(c.program, { kind: 'host', path: '/usr/bin/node' });
    assert.deepEqual(c.args, ['/srv/samples/bookinfo/src/ratings.mjs', '--port', '9080']);
    const env = Object.fromEntries(c.env);
    assert.equal(env['POD_NAME'], p.pods[0]!.name);
    assert.equal(env['INSTANCE_IP'], '10.244.0.2');
    assert.equal(env['RATINGS_SERVICE_HOST'], '10.96.0.1');
    assert.equal(env['RATINGS_SERVICE_PORT_HTTP'], '9080');
    assert.equal(c.uid, 0);
    assert.equal(c.restartPolicy, 'Always');
  });

  test('Istio config is kept; the Pod object carries status.podIP for discovery', () => {
    assert.deepEqual(p.istioConfig.map((o) => o.kind), ['VirtualService']);
    assert.equal((p.pods[0]!.object['status'] as { podIP: string }).podIP, '10.244.0.2');
    assert.equal((p.pods[0]!.object['spec'] as { serviceAccountName: string }).serviceAccountName, 'bookinfo-ratings');
  });

  test('an injected workload gets its init and proxy containers as launch specs', () => {
    const labelled = `apiVersion: v1\nkind: Namespace\nmetadata: {name: mesh, labels: {istio-injection: enabled}}\n---\n${APP.replace(/metadata: \{name: (ratings-v1|bookinfo-ratings|ratings, labels: \{app: ratings\})\}/g, (m, n: string) => `metadata: {name: ${n.split(',')[0]}, namespace: mesh}`)}`;
    const fakeInject = (obj: Record<string, unknown>) => {
      const copy = structuredClone(obj) as { spec: { template: { spec: { initContainers?: unknown[]; containers: unknown[] } } } };
      copy.spec.template.spec.initContainers = [{ name: 'istio-init', image: 'docker.io/outrigger/proxyv2:latest', args: ['istio-iptables', '-p', '15001'], securityContext: { runAsUser: 0 } }];
      copy.spec.template.spec.containers.push({ name: 'istio-proxy', image: 'docker.io/outrigger/proxyv2:latest', args: ['proxy', 'sidecar'], securityContext: { runAsUser: 1337, runAsGroup: 1337 } });
      return copy;
    };
    const injected = plan(labelled, { inject: fakeInject });
    const pod = injected.pods.find((x) => x.namespace === 'mesh')!;
    assert.equal(pod.injected, true);
    assert.deepEqual(pod.initContainers.map((c) => [c.container, c.program.kind, c.args[0], c.uid]), [['istio-init', 'outrigger', 'istio-iptables', 0]]);
    assert.deepEqual(pod.containers.map((c) => [c.container, c.uid, c.gid]), [['ratings', 0, 0], ['istio-proxy', 1337, 1337]]);
    assert.equal(injected.pods.find((x) => x.namespace === 'default')!.injected, false, 'default is not labelled');
    const off = plan(labelled);
    assert.equal(off.pods.every((x) => !x.injected), true);
    assert.match(off.warnings.join('\n'), /would get a sidecar \(its namespace is labelled istio-injection=enabled\), but sidecars are switched off/);
  });
});

describe('planCluster errors name the document, kind, name and field', () => {
  const deployment = (containers: string, extra = '') => `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n${extra}      containers: ${containers}\n`;
  const cases: { name: string; text: string; expect: RegExp }[] = [
    { name: 'an image that is not a local program', text: deployment('[{name: web, image: nginx}]'), expect: /^app.yaml document 1 \(line 1\): Deployment "web" \(container "web"\): spec.template.spec.containers\[0\].command: image "nginx" is not a known local program/ },
    { name: 'a command that does not exist', text: deployment('[{name: web, image: x, command: [nginx]}]'), expect: /containers\[0\].command: "nginx" is not a program on this machine/ },
    { name: 'host network', text: deployment('[{name: web, image: x, command: [sleep]}]', '      hostNetwork: true\n'), expect: /spec.template.spec.hostNetwork: pods on the host network are not supported by the local runtime/ },
    { name: 'no containers', text: deployment('[]'), expect: /Deployment "web": spec.template.spec.containers: at least one container is required/ },
    { name: 'a selector that does not match', text: deployment('[{name: web, image: x, command: [sleep]}]').replace('matchLabels: {app: web}', 'matchLabels: {app: other}'), expect: /spec.selector: "app: other" does not match the template's labels/ },
    { name: 'a missing service account', text: deployment('[{name: web, image: x, command: [sleep]}]', '      serviceAccountName: ghost\n'), expect: /spec.template.spec.serviceAccountName: ServiceAccount "default\/ghost" is not in the manifests/ },
    { name: 'an unknown namespace', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: nowhere}\n', expect: /ConfigMap "nowhere\/c": metadata.namespace: namespace "nowhere" is not in the manifests/ },
    { name: 'a missing name', text: 'apiVersion: v1\nkind: Service\nmetadata: {}\n', expect: /Service: metadata.name is required/ },
    { name: 'a bad service port', text: 'apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 70000}]}\n', expect: /Service "s": spec.ports\[0\].port: must be a port number/ },
    { name: 'a clusterIP outside the range', text: 'apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {clusterIP: 10.0.0.1, ports: [{port: 80}]}\n', expect: /spec.clusterIP: 10.0.0.1 is outside the service range 10.96.0.0\/16/ },
    { name: 'an object defined twice', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n', expect: /document 2 \(line 5\): ConfigMap "c" is defined twice \(first at app.yaml document 1 \(line 1\)\)/ },
    { name: 'a Secret reference', text: deployment('[{name: web, image: x, command: [sleep], env: [{name: A, valueFrom: {secretKeyRef: {name: s, key: k}}}]}]'), expect: /containers\[0\].env\[0\].valueFrom: only fieldRef, resourceFieldRef and configMapKeyRef/ },
    { name: 'a probe on an unknown named port', text: deployment('[{name: web, image: x, command: [sleep], readinessProbe: {httpGet: {port: http}}}]'), expect: /readinessProbe.httpGet.port: no container port is named "http"/ },
    { name: 'replicas that are not a number', text: deployment('[{name: web, image: x, command: [sleep]}]').replace('spec:\n  selector', 'spec:\n  replicas: many\n  selector'), expect: /spec.replicas: must be a non-negative integer/ },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const found = problems(c.text);
      assert.ok(found.some((p) => c.expect.test(p)), `expected ${c.expect} among:\n${found.join('\n')}`);
    });
  }
  test('a Job needs restartPolicy Never or OnFailure', () => {
    const found = problems('apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec: {template: {spec: {containers: [{name: j, image: x, command: [sleep]}]}}}\n');
    assert.match(found[0]!, /Job "j": spec.template.spec.restartPolicy: must be Never or OnFailure for a Job \(got none\)/);
  });
  test('every problem is reported at once', () => {
    const found = problems(`${deployment('[{name: web, image: nginx}]')}---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 0}]}\n`);
    assert.equal(found.length, 2);
  });
  test('kinds the runtime does not run are warnings, not errors', () => {
    const p = plan('apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: j}\nspec: {jobTemplate: {spec: {template: {spec: {containers: [{name: j, image: x}]}}}}}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\n');
    assert.match(p.warnings[0]!, /CronJob "j" is not run by the local runtime yet/);
    assert.match(p.warnings[1]!, /Ingress "i" \(networking.k8s.io\/v1\) is not a kind the local runtime knows/);
  });
});
