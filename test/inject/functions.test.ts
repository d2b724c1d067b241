// Istio's template functions and the Go views of pods and protos, through the real engine.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Template } from '../../src/gotemplate/index.js';
import { appendMultusNetwork, formatGoDuration, injectionFuncs } from '../../src/inject/functions.js';
import { goView, jsonName, kubeSchema, meshSchema, unview } from '../../src/inject/go-view.js';
import { defaultMeshConfig } from '../../src/inject/mesh.js';

const funcs = injectionFuncs({ FROM_ENV: 'yes' });
const render = (text: string, data: unknown) => Template.parse('t', text, { funcs }).execute(data);

describe('Go views', () => {
  test('Go field names map to JSON names', () => {
    const cases: [string, string][] = [['Containers', 'containers'], ['HTTPGet', 'httpGet'], ['TCPSocket', 'tcpSocket'], ['GRPC', 'grpc'], ['DNSPolicy', 'dnsPolicy'], ['HostIPC', 'hostIPC'], ['APIVersion', 'apiVersion'], ['ProxyAdminPort', 'proxyAdminPort']];
    for (const [go, json] of cases) assert.equal(jsonName(go), json);
  });

  const pod = { metadata: { name: 'p' }, spec: { containers: [{ name: 'app', ports: [{ containerPort: 80, name: 'http' }], readinessProbe: { httpGet: { port: 80 } } }] } };
  const data = { ObjectMeta: goView(pod.metadata, kubeSchema, 'ObjectMeta'), Spec: goView(pod.spec, kubeSchema, 'PodSpec') };

  test('fields, lists, nested structs, and unset maps and lists read as empty (typed nil)', () => {
    assert.equal(render('{{ range .Spec.Containers }}{{ .Name }}:{{ (index .Ports 0).ContainerPort }}:{{ .ReadinessProbe.HTTPGet.Port }}{{ end }}', data), 'app:80:80');
    assert.equal(render('[{{ index .ObjectMeta.Labels "app" }}] {{ len .Spec.InitContainers }} {{ len .ObjectMeta.Annotations }}', data), '[] 0 0');
  });

  test('structToJSON and toYaml see the JSON', () => {
    assert.equal(render('{{ structToJSON (index (index .Spec.Containers 0).Ports 0) }}', data), '{"containerPort":80,"name":"http"}');
    assert.deepEqual(unview(data.Spec), pod.spec);
  });

  test('proto enums print by name (zero value when unset); unset wrappers are nil but answer GetValue', () => {
    const mesh = defaultMeshConfig();
    const proxy = goView({ ...(mesh['defaultConfig'] as object), concurrency: 4 }, meshSchema, 'ProxyConfig');
    const text = '{{ .P.InterceptionMode }} {{ .P.InterceptionMode.String }} {{ .P.ControlPlaneAuthPolicy }} {{ .P.Concurrency.GetValue }} {{ .P.HoldApplicationUntilProxyStarts.GetValue }} {{ if .P.HoldApplicationUntilProxyStarts }}set{{ else }}unset{{ end }} {{ .P.GetStatusPort }}';
    assert.equal(render(text, { P: proxy }), 'REDIRECT REDIRECT MUTUAL_TLS 4 false unset 15020');
  });
});

describe("Istio's functions", () => {
  test('annotation: the value, else the default printed as Go prints it', () => {
    const meta = goView({ annotations: { a: 'x' } }, kubeSchema, 'ObjectMeta');
    assert.equal(render('{{ annotation .M "a" "d" }} {{ annotation .M "b" "d" }} {{ annotation .M "b" 15020 }} {{ annotation .M "b" nil }}', { M: meta }), 'x d 15020 <nil>');
  });

  test('excludeInboundPort adds the port once', () => {
    assert.equal(render('{{ excludeInboundPort 15020 "" }}|{{ excludeInboundPort 15020 "80,15020" }}|{{ excludeInboundPort "15020" " 80 , 81" }}|{{ excludeInboundPort "" "80" }}', {}), '15020|80,15020|80,81,15020|80');
  });

  test('includeInboundPorts and applicationPorts list TCP container ports', () => {
    const spec = goView({ containers: [{ name: 'a', ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }] }, { name: 'b', ports: [{ containerPort: 9090, protocol: 'TCP' }] }] }, kubeSchema, 'PodSpec');
    assert.equal(render('{{ includeInboundPorts .S.Containers }} {{ applicationPorts .S.Containers }}', { S: spec }), '80,9090 80,9090');
  });

  test('isset, valueOrDefault, toJSON, fromJSON (bad JSON is "{}"), toLower, contains, directory, env', () => {
    const data = { M: { a: '1' }, Empty: '' };
    assert.equal(render('{{ isset .M "a" }} {{ isset .M "b" }} {{ valueOrDefault .Empty "dflt" }} {{ valueOrDefault "v" "dflt" }}', data), 'true false dflt v');
    assert.equal(render('{{ toJSON .M }} {{ toJSON nil }} {{ fromJSON "[1,2]" }} {{ fromJSON "nope" }}', data), '{"a":"1"} {} [1 2] {}');
    assert.equal(render('{{ toLower "ABC" }} {{ contains "b" "abc" }} {{ directory "/etc/istio/proxy/envoy.yaml" }} {{ env "FROM_ENV" "no" }} {{ env "MISSING" "no" }}', {}), 'abc true /etc/istio/proxy/ yes no');
  });

  test("indent leaves the first line alone (Istio's, not sprig's)", () => {
    assert.equal(render('{{ indent 2 "a\\nb\\nc" }}', {}), 'a\n  b\n  c');
  });

  test('toYaml sorts keys and has no trailing newline', () => {
    assert.equal(render('{{ toYaml .V }}', { V: { b: 1, a: { d: 'x', c: true } } }), 'a:\n  c: true\n  d: x\nb: 1');
  });

  test('strdict, omit, mergeMaps, toJsonMap, omitNil', () => {
    assert.equal(render('{{ strdict "a" "1" "b" }}', {}), 'map[a:1 b:]');
    assert.equal(render('{{ omit .M "a" }} {{ mergeMaps .M .N }} {{ toJsonMap .M .N }} {{ omitNil .O }}', { M: { a: '1', b: '2' }, N: { b: '3' }, O: { x: null, y: 1 } }), 'map[b:2] map[a:1 b:3] map[a:1 b:3] map[y:1]');
  });

  test('formatDuration prints Go durations', () => {
    const cases: [string, string][] = [['45s', '45s'], ['90s', '1m30s'], ['3600s', '1h0m0s'], ['0.5s', '500ms'], ['0s', '0s'], ['1.5s', '1.5s'], ['0.000001s', '1µs']];
    for (const [input, expected] of cases) assert.equal(formatGoDuration(input), expected, input);
    assert.equal(render('{{ formatDuration .D }}', { D: '300s' }), '5m0s');
  });

  test('appendMultusNetwork, in both annotation forms', () => {
    assert.equal(appendMultusNetwork('', 'istio-cni'), 'istio-cni');
    assert.equal(appendMultusNetwork('macvlan', 'istio-cni'), 'macvlan, istio-cni');
    assert.equal(appendMultusNetwork('macvlan, istio-cni', 'istio-cni'), 'macvlan, istio-cni');
    assert.equal(appendMultusNetwork('[{"name": "macvlan"}]', 'istio-cni'), '[{"name": "macvlan"}, {"name": "istio-cni"}]');
    assert.equal(appendMultusNetwork('[{"name": "istio-cni"}]', 'istio-cni'), '[{"name": "istio-cni"}]');
  });

  test("Istio's functions win over sprig's of the same name; sprig's others are there", () => {
    assert.equal(render('{{ indent 2 "x\\ny" }}|{{ upper "a" }}|{{ default "d" "" }}', {}), 'x\n  y|A|d');
  });
});
