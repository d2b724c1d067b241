// kube-inject over real manifests: every workload kind, the default template and an
// Istio-style ConfigMap, re-injection, annotations, probes, modes and errors.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { ReplicaSet } from 'kubernetes-models/apps/v1/ReplicaSet';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { ReplicationController } from 'kubernetes-models/v1/ReplicationController';
import { kubeInject, loadSettings } from '../../src/inject/kube-inject.js';
import type { InjectionSettings } from '../../src/inject/kube-inject.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const defaults = (env: Record<string, string> = {}, revision = '') => loadSettings({}, revision, env);
const istio = (env: Record<string, string> = {}) =>
  loadSettings({ injectConfig: path.join(fixtures, 'istio-inject-config.yaml'), values: path.join(fixtures, 'istio-values.yaml'), meshConfig: path.join(fixtures, 'istio-mesh.yaml') }, '', env);

type Obj = Record<string, any>;
const docs = (text: string): Obj[] => text.split(/^---\n/m).filter((d) => d.trim() !== '').map((d) => parseYaml(d) as Obj);
const run = (yaml: string, settings: InjectionSettings = defaults()) => kubeInject(yaml, settings);
const one = (yaml: string, settings?: InjectionSettings) => docs(run(yaml, settings).output)[0]!;
const names = (list: Obj[] | undefined) => (list ?? []).map((c) => c['name']);
const container = (spec: Obj, name: string) => [...(spec['containers'] ?? []), ...(spec['initContainers'] ?? [])].find((c: Obj) => c['name'] === name) as Obj;
const env = (c: Obj, name: string) => (c['env'] as Obj[]).find((e) => e['name'] === name)?.['value'];

const podSpec = `
      containers:
      - name: app
        image: example/app:1
        ports:
        - containerPort: 9080
        - containerPort: 5353
          protocol: UDP`;
const workload = (kind: string, apiVersion: string, extra = '') => `apiVersion: ${apiVersion}
kind: ${kind}
metadata:
  name: web
  namespace: shop
spec:${extra}
  template:
    metadata:
      labels:
        app: web
    spec:${podSpec}
`;

describe('every workload kind, whatever its apiVersion', () => {
  const cases: [string, string, string, { validate(): void } | undefined][] = [
    ['Deployment', 'apps/v1', workload('Deployment', 'apps/v1', '\n  selector:\n    matchLabels:\n      app: web'), undefined],
    ['DaemonSet', 'apps/v1', workload('DaemonSet', 'apps/v1', '\n  selector:\n    matchLabels:\n      app: web'), undefined],
    ['ReplicaSet', 'apps/v1', workload('ReplicaSet', 'apps/v1', '\n  selector:\n    matchLabels:\n      app: web'), undefined],
    ['StatefulSet', 'apps/v1', workload('StatefulSet', 'apps/v1', '\n  serviceName: web\n  selector:\n    matchLabels:\n      app: web'), undefined],
    ['Job', 'batch/v1', workload('Job', 'batch/v1').replace('    spec:\n      containers', '    spec:\n      restartPolicy: Never\n      containers'), undefined],
    ['ReplicationController', 'v1', workload('ReplicationController', 'v1'), undefined],
    ['Deployment (extensions/v1beta1)', 'extensions/v1beta1', workload('Deployment', 'extensions/v1beta1'), undefined],
    ['DeploymentConfig', 'apps.openshift.io/v1', workload('DeploymentConfig', 'apps.openshift.io/v1'), undefined],
  ];
  const models: Record<string, new (o: Obj) => { validate(): void }> = { Deployment, DaemonSet, ReplicaSet, StatefulSet, Job, ReplicationController };
  for (const [name, apiVersion, yaml] of cases) {
    test(name, () => {
      const out = one(yaml);
      const template = out['spec']['template'];
      assert.deepEqual(names(template['spec']['containers']), ['app', 'istio-proxy']);
      assert.deepEqual(names(template['spec']['initContainers']), ['istio-init']);
      assert.equal(template['metadata']['labels']['security.istio.io/tlsMode'], 'istio');
      assert.match(template['metadata']['annotations']['sidecar.istio.io/status'], /"containers":\["istio-proxy"\]/);
      const proxy = container(template['spec'], 'istio-proxy');
      assert.equal(env(proxy, 'ISTIO_META_WORKLOAD_NAME'), 'web');
      assert.equal(env(proxy, 'ISTIO_META_OWNER'), `kubernetes://apis/${apiVersion}/namespaces/shop/${out['kind'].toLowerCase()}s/web`);
      const Model = models[out['kind']];
      if (Model && apiVersion !== 'extensions/v1beta1') new Model(out).validate();
    });
  }

  test('Pod: the pod is its own workload; valid against the Pod schema', () => {
    const out = one(`apiVersion: v1\nkind: Pod\nmetadata:\n  name: solo\n  namespace: shop\nspec:${podSpec.replace(/^ {4}/gm, '')}\n`);
    assert.deepEqual(names(out['spec']['containers']), ['app', 'istio-proxy']);
    assert.equal(env(container(out['spec'], 'istio-proxy'), 'ISTIO_META_WORKLOAD_NAME'), 'solo');
    new Pod(out).validate();
  });

  test("CronJob: labels and annotations land on the job template's metadata, as istioctl does", () => {
    const out = one(`apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: task
            image: example/task:1
`);
    const jobTemplate = out['spec']['jobTemplate'];
    assert.equal(jobTemplate['metadata']['labels']['security.istio.io/tlsMode'], 'istio');
    assert.ok(jobTemplate['metadata']['annotations']['sidecar.istio.io/status']);
    assert.deepEqual(names(jobTemplate['spec']['template']['spec']['containers']), ['task', 'istio-proxy']);
    new CronJob(out).validate();
  });

  test('List: every item is injected', () => {
    const out = one(`apiVersion: v1\nkind: List\nitems:\n- ${workload('Deployment', 'apps/v1').trim().replace(/\n/g, '\n  ')}\n`);
    assert.deepEqual(names(out['items'][0]['spec']['template']['spec']['containers']), ['app', 'istio-proxy']);
  });
});

describe('streams', () => {
  test('multi-document input: other kinds pass through untouched and every document ends with ---', () => {
    const input = `apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 80\n---\n${workload('Deployment', 'apps/v1')}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  enabled: "on"\n`;
    const { output } = run(input);
    assert.equal(output.match(/^---$/gm)?.length, 3);
    assert.ok(output.endsWith('---\n'));
    const [service, deployment, configMap] = docs(output);
    assert.deepEqual(service, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } });
    assert.equal(deployment!['kind'], 'Deployment');
    assert.match(output, /enabled: "on"/, 'YAML 1.1 look-alikes stay quoted');
    assert.equal(configMap!['data']['enabled'], 'on');
  });

  test('bad YAML names the document and the line', () => {
    assert.throws(() => run(`${workload('Deployment', 'apps/v1')}---\nkind: Pod\nmetadata: [unclosed\n`), /document 2 \(line \d+\)/);
  });
});

describe('the default template', () => {
  const out = one(workload('Deployment', 'apps/v1'));
  const spec = out['spec']['template']['spec'];
  const init = container(spec, 'istio-init');
  const proxy = container(spec, 'istio-proxy');

  test("istio-init runs outrigger's istio-iptables with the injector's arguments, as root with NET_ADMIN/NET_RAW", () => {
    assert.deepEqual(init['args'], ['istio-iptables', '-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-x', '', '-b', '*', '-d', '15090,15021,15020', '--log_output_level=default:info']);
    assert.deepEqual(init['securityContext']['capabilities'], { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] });
    assert.equal(init['securityContext']['runAsUser'], 0);
  });

  test("istio-proxy runs the agent as 1337 with the agent's environment and readiness on 15021", () => {
    assert.deepEqual(proxy['args'].slice(0, 4), ['proxy', 'sidecar', '--domain', '$(POD_NAMESPACE).svc.cluster.local']);
    assert.equal(proxy['securityContext']['runAsUser'], 1337);
    assert.equal(proxy['securityContext']['runAsGroup'], 1337);
    assert.deepEqual(proxy['readinessProbe']['httpGet'], { path: '/healthz/ready', port: 15021 });
    const envNames = (proxy['env'] as Obj[]).map((e) => e['name']);
    for (const name of ['POD_NAME', 'POD_NAMESPACE', 'INSTANCE_IP', 'SERVICE_ACCOUNT', 'PROXY_CONFIG', 'ISTIO_META_POD_PORTS', 'ISTIO_META_APP_CONTAINERS', 'ISTIO_META_CLUSTER_ID', 'ISTIO_META_INTERCEPTION_MODE']) {
      assert.ok(envNames.includes(name), name);
    }
    assert.equal(env(proxy, 'ISTIO_META_APP_CONTAINERS'), 'app');
    assert.deepEqual(JSON.parse(env(proxy, 'ISTIO_META_POD_PORTS')), [{ containerPort: 9080 }, { containerPort: 5353, protocol: 'UDP' }]);
    assert.equal(JSON.parse(env(proxy, 'PROXY_CONFIG'))['proxyAdminPort'], 15000);
    assert.deepEqual(proxy['resources'], { limits: { cpu: '2000m', memory: '1024Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
  });

  test('volumes, canonical-service labels, default-container annotations', () => {
    assert.deepEqual(names(spec['volumes']), ['workload-socket', 'credential-socket', 'workload-certs', 'istio-envoy', 'istio-data', 'istio-podinfo', 'istio-token', 'istiod-ca-cert']);
    const meta = out['spec']['template']['metadata'];
    assert.equal(meta['labels']['service.istio.io/canonical-name'], 'web');
    assert.equal(meta['labels']['service.istio.io/canonical-revision'], 'latest');
    assert.equal(meta['annotations']['kubectl.kubernetes.io/default-container'], 'app');
    assert.equal(meta['annotations']['prometheus.io/port'], '15020');
  });
});

describe('an Istio-style ConfigMap (the three files)', () => {
  const input = workload('Deployment', 'apps/v1').replace('        app: web', '        app: web\n      annotations:\n        proxy.istio.io/config: "concurrency: 2"');
  const out = one(input, istio());
  const meta = out['spec']['template']['metadata'];
  const spec = out['spec']['template']['spec'];
  const init = container(spec, 'istio-init');
  const proxy = container(spec, 'istio-proxy');

  test('values drive the images, ranges and ports; mesh config the ports and the proxy', () => {
    assert.equal(init['image'], 'docker.io/istio/proxyv2:1.24.0');
    assert.equal(proxy['image'], 'docker.io/istio/proxyv2:1.24.0');
    assert.deepEqual(init['args'], ['istio-iptables', '-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '10.96.0.0/12', '-x', '', '-b', '9080', '-d', '15090,15021,15020']);
    assert.deepEqual(proxy['args'], ['proxy', 'sidecar', '--domain', '$(POD_NAMESPACE).svc.cluster.local', '--drainDuration', '1m30s', '--discoveryAddress', 'istiod.istio-system.svc:15012', '--concurrency', '2']);
  });

  test('functions: applicationPorts, toJSON, directory, proxyMetadata, contains, toYaml | indent', () => {
    assert.equal(env(proxy, 'ISTIO_META_APP_PORTS'), '9080');
    assert.equal(env(proxy, 'ISTIO_META_LABELS'), '{"app":"web"}');
    assert.equal(env(proxy, 'ISTIO_META_CONFIG_DIR'), './etc/istio/');
    assert.equal(env(proxy, 'ISTIO_META_OWNER_KIND'), 'Deployment');
    assert.equal(env(proxy, 'ISTIO_META_DNS_CAPTURE'), 'true');
    assert.equal(env(proxy, 'ISTIO_HUB_IS_ISTIO'), 'true');
    assert.deepEqual(proxy['resources'], { limits: { cpu: '1', memory: '512Mi' }, requests: { cpu: '50m', memory: '64Mi' } });
  });

  test('metadata: labels, the enum printed by name, injectedAnnotations, status, Prometheus merge with the mesh config', () => {
    assert.equal(meta['labels']['security.istio.io/tlsMode'], 'istio');
    assert.equal(meta['annotations']['sidecar.istio.io/interceptionMode'], 'REDIRECT');
    assert.equal(meta['annotations']['example.com/injected-by'], 'tests');
    assert.equal(meta['annotations']['sidecar.istio.io/status'], '{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["istio-envoy"],"imagePullSecrets":null,"revision":"default"}');
    assert.equal(meta['annotations']['prometheus.io/path'], '/stats/prometheus');
  });

  test('multiple templates by annotation, and aliases', () => {
    const both = one(input.replace('        proxy.istio.io/config', '        inject.istio.io/templates: full\n        proxy.istio.io/config'), istio());
    assert.deepEqual(names(both['spec']['template']['spec']['containers']), ['debug-shell', 'app', 'istio-proxy']);
    assert.equal(both['spec']['template']['metadata']['annotations']['example.com/extras'], 'yes');
    assert.match(both['spec']['template']['metadata']['annotations']['sidecar.istio.io/status'], /"containers":\["debug-shell","istio-proxy"\]/);
    assert.throws(() => run(input.replace('        proxy.istio.io/config', '        inject.istio.io/templates: nope\n        proxy.istio.io/config'), istio()), /requested template "nope" not found; have "sidecar", "extras"/);
  });
});

describe('re-injection', () => {
  const input = workload('Deployment', 'apps/v1').replace(`        - containerPort: 9080`, `        - containerPort: 9080\n          name: http`).replace(`          protocol: UDP`, `          protocol: UDP\n        readinessProbe:\n          httpGet:\n            path: /ready\n            port: http`).replace('        app: web', '        app: web\n      annotations:\n        prometheus.io/scrape: "true"\n        prometheus.io/port: "9090"');

  test('injecting twice gives the same result as injecting once (default template)', () => {
    const once = run(input).output;
    assert.equal(run(once).output, once);
  });

  test('the same with an Istio-style config and native sidecars', () => {
    const settings = istio({ ENABLE_NATIVE_SIDECARS: 'true' });
    const once = run(input, settings).output;
    assert.equal(run(once, settings).output, once);
    const nativeOnce = run(input, defaults({ ENABLE_NATIVE_SIDECARS: 'true' })).output;
    assert.equal(run(nativeOnce, defaults({ ENABLE_NATIVE_SIDECARS: 'true' })).output, nativeOnce);
  });
});

describe('annotations', () => {
  const annotated = (annotations: Record<string, string>) =>
    workload('Deployment', 'apps/v1').replace('        app: web', `        app: web\n      annotations:\n${Object.entries(annotations).map(([k, v]) => `        ${k}: ${JSON.stringify(v)}`).join('\n')}`);
  const initArgs = (annotations: Record<string, string>) => container(one(annotated(annotations))['spec']['template']['spec'], 'istio-init')['args'] as string[];
  const after = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

  test('traffic annotations reach istio-init; port ranges are accepted', () => {
    const args = initArgs({
      'traffic.sidecar.istio.io/includeOutboundIPRanges': '10.0.0.0/8',
      'traffic.sidecar.istio.io/excludeOutboundIPRanges': '10.0.0.1/32',
      'traffic.sidecar.istio.io/includeInboundPorts': '9080,8000:8100',
      'traffic.sidecar.istio.io/excludeInboundPorts': '9443',
      'traffic.sidecar.istio.io/excludeOutboundPorts': '25',
      'traffic.sidecar.istio.io/includeOutboundPorts': '3306',
      'traffic.sidecar.istio.io/excludeInterfaces': 'eth9',
      'traffic.sidecar.istio.io/kubevirtInterfaces': 'net1',
      'status.sidecar.istio.io/port': '15999',
    });
    assert.equal(after(args, '-i'), '10.0.0.0/8');
    assert.equal(after(args, '-x'), '10.0.0.1/32');
    assert.equal(after(args, '-b'), '9080,8000:8100');
    assert.equal(after(args, '-d'), '15090,15021,9443,15999');
    assert.equal(after(args, '-o'), '25');
    assert.equal(after(args, '-q'), '3306');
    assert.equal(after(args, '-c'), 'eth9');
    assert.equal(after(args, '-k'), 'net1');
  });

  test("a bad value stops injection: invalid value '<v>' for annotation '<name>'", () => {
    assert.throws(() => run(annotated({ 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '10.0.0.0/40' })),
      /document 1 \(line 1\): Deployment "shop\/web": invalid value '10\.0\.0\.0\/40' for annotation 'traffic\.sidecar\.istio\.io\/excludeOutboundIPRanges'/);
  });

  test('TPROXY: the init -m, the capability, the interception mode env', () => {
    const out = one(annotated({ 'sidecar.istio.io/interceptionMode': 'TPROXY' }));
    const spec = out['spec']['template']['spec'];
    assert.equal(after(container(spec, 'istio-init')['args'], '-m'), 'TPROXY');
    assert.deepEqual(container(spec, 'istio-proxy')['securityContext']['capabilities']['add'], ['NET_ADMIN']);
    assert.equal(env(container(spec, 'istio-proxy'), 'ISTIO_META_INTERCEPTION_MODE'), 'TPROXY');
  });

  test('sidecar.istio.io/inject: "false" and hostNetwork are skipped with a warning naming the workload', () => {
    const skipped = run(workload('Deployment', 'apps/v1').replace('        app: web', '        app: web\n        sidecar.istio.io/inject: "false"'));
    assert.doesNotMatch(skipped.output, /istio-proxy/);
    assert.match(skipped.warnings[0] ?? '', /Skipping injection because Deployment "shop\/web" has sidecar injection disabled/);
    const host = run(workload('Deployment', 'apps/v1').replace('    spec:\n      containers', '    spec:\n      hostNetwork: true\n      containers'));
    assert.match(host.warnings[0] ?? '', /Skipping injection because Deployment "shop\/web" has host networking enabled/);
  });

  test('proxy resources from annotations', () => {
    const out = one(annotated({ 'sidecar.istio.io/proxyCPU': '250m', 'sidecar.istio.io/proxyMemoryLimit': '1Gi' }));
    assert.deepEqual(container(out['spec']['template']['spec'], 'istio-proxy')['resources'], { requests: { cpu: '250m' }, limits: { memory: '1Gi' } });
  });
});

describe('probes, modes, overrides', () => {
  const probed = workload('Deployment', 'apps/v1').replace(`        - containerPort: 9080`, `        - containerPort: 9080\n          name: http`).replace(`          protocol: UDP`, `          protocol: UDP\n        livenessProbe:\n          tcpSocket:\n            port: http\n        readinessProbe:\n          httpGet:\n            path: /ready\n            port: 9080`);

  test('app probes are rewritten to the status port, the originals go to ISTIO_KUBE_APP_PROBERS', () => {
    const spec = one(probed)['spec']['template']['spec'];
    const app = container(spec, 'app');
    assert.deepEqual(app['readinessProbe'], { httpGet: { path: '/app-health/app/readyz', port: 15020 } });
    assert.deepEqual(app['livenessProbe'], { httpGet: { path: '/app-health/app/livez', port: 15020 } });
    assert.deepEqual(JSON.parse(env(container(spec, 'istio-proxy'), 'ISTIO_KUBE_APP_PROBERS')), {
      '/app-health/app/livez': { tcpSocket: { port: 9080 } },
      '/app-health/app/readyz': { httpGet: { path: '/ready', port: 9080 } },
    });
  });

  test('sidecar.istio.io/rewriteAppHTTPProbers: "false" keeps the probes', () => {
    const out = one(probed.replace('        app: web', '        app: web\n      annotations:\n        sidecar.istio.io/rewriteAppHTTPProbers: "false"'));
    assert.deepEqual(container(out['spec']['template']['spec'], 'app')['readinessProbe'], { httpGet: { path: '/ready', port: 9080 } });
  });

  test('native sidecars: istio-proxy is an init container with restartPolicy Always, after istio-init', () => {
    const spec = one(probed, defaults({ ENABLE_NATIVE_SIDECARS: 'true' }))['spec']['template']['spec'];
    assert.deepEqual(names(spec['initContainers']), ['istio-init', 'istio-proxy']);
    assert.deepEqual(names(spec['containers']), ['app']);
    assert.equal(container(spec, 'istio-proxy')['restartPolicy'], 'Always');
    assert.ok(env(container(spec, 'istio-proxy'), 'ISTIO_KUBE_APP_PROBERS'));
  });

  test('classic mode keeps istio-init after the user\'s init containers', () => {
    const spec = one(workload('Deployment', 'apps/v1').replace('    spec:\n      containers', '    spec:\n      initContainers:\n      - name: migrate\n        image: example/migrate:1\n      containers'))['spec']['template']['spec'];
    assert.deepEqual(names(spec['initContainers']), ['migrate', 'istio-init']);
  });

  test('holdApplicationUntilProxyStarts: the proxy first, with a postStart wait', () => {
    const spec = one(workload('Deployment', 'apps/v1').replace('        app: web', '        app: web\n      annotations:\n        proxy.istio.io/config: \'{"holdApplicationUntilProxyStarts": true}\''))['spec']['template']['spec'];
    assert.deepEqual(names(spec['containers']), ['istio-proxy', 'app']);
    assert.deepEqual(container(spec, 'istio-proxy')['lifecycle'], { postStart: { exec: { command: ['pilot-agent', 'wait'] } } });
  });

  test("a user's istio-proxy overrides win field by field, image: auto keeps the injected image, runAsUser fixes istio-init's -u", () => {
    const input = workload('Deployment', 'apps/v1').replace(`          protocol: UDP`, `          protocol: UDP\n      - name: istio-proxy\n        image: auto\n        resources:\n          limits:\n            memory: 2Gi\n        securityContext:\n          runAsUser: 1500`);
    const out = one(input);
    const spec = out['spec']['template']['spec'];
    const proxy = container(spec, 'istio-proxy');
    assert.equal(proxy['image'], 'docker.io/outrigger/proxyv2:latest');
    assert.equal(proxy['resources']['limits']['memory'], '2Gi');
    assert.equal(proxy['resources']['requests']['cpu'], '100m');
    assert.equal(proxy['securityContext']['runAsUser'], 1500);
    const init = container(spec, 'istio-init')['args'] as string[];
    assert.equal(init[init.indexOf('-u') + 1], '1500');
    assert.deepEqual(JSON.parse(out['spec']['template']['metadata']['annotations']['proxy.istio.io/overrides']), { containers: [{ name: 'istio-proxy', resources: { limits: { memory: '2Gi' } }, securityContext: { runAsUser: 1500 } }] });
    const twice = run(run(input).output).output;
    assert.equal(twice, run(input).output);
  });

  test('a template that does not parse is an error naming it and its line', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'inject-'));
    try {
      writeFileSync(path.join(dir, 'config.yaml'), 'templates:\n  sidecar: |\n    spec:\n      containers:\n      - name: {{ .Values.x\n');
      assert.throws(() => loadSettings({ injectConfig: path.join(dir, 'config.yaml') }, '', {}), /--injectConfigFile: failed to parse template sidecar: template: sidecar:\d+: unclosed action/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a template that fails while running stops injection with no partial output', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'inject-'));
    try {
      writeFileSync(path.join(dir, 'config.yaml'), 'templates:\n  sidecar: |\n    spec:\n      containers:\n      - name: {{ .Spec.Nothing.Deeper }}\n');
      const settings = loadSettings({ injectConfig: path.join(dir, 'config.yaml') }, '', {});
      assert.throws(() => run(workload('Deployment', 'apps/v1'), settings), /failed to run injection template "sidecar": template: sidecar:3:\d+: executing "sidecar" at <\.Spec\.Nothing\.Deeper>: nil pointer evaluating/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
