// A template in the shape of Istio's sidecar injection template: Istio-style functions
// passed in funcs next to sprig's, trim markers around control structures, range over
// annotations, and toYaml | indent for nested structures.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Template, sprigFuncs, type FuncMap } from '../../src/gotemplate/index.js';

interface ObjectMeta {
  Name: string;
  Annotations?: Record<string, string>;
}

const istioFuncs: FuncMap = {
  // annotation returns the pod's annotation, else the default (Istio's signature).
  annotation: (meta: ObjectMeta, name: string, def: unknown) => meta.Annotations?.[name] ?? def,
  isset: (m: Record<string, unknown> | null, key: string) => m != null && Object.prototype.hasOwnProperty.call(m, key),
  valueOrDefault: (v: unknown, def: unknown) => (v === undefined || v === null || v === '' ? def : v),
  excludeInboundPort: (port: unknown, ports: string) => [...ports.split(','), String(port)].filter((p) => p !== '').join(','),
};

const template = `initContainers:
{{- if ne (annotation .ObjectMeta "sidecar.istio.io/interceptionMode" .ProxyConfig.InterceptionMode) "NONE" }}
- name: istio-init
  image: "{{ .Values.global.hub }}/proxyv2:{{ .Values.global.tag }}"
  args:
  - istio-iptables
  - "-p"
  - {{ .MeshConfig.ProxyListenPort | default 15001 | quote }}
  - "-m"
  - "{{ annotation .ObjectMeta "sidecar.istio.io/interceptionMode" .ProxyConfig.InterceptionMode }}"
  - "-i"
  - "{{ annotation .ObjectMeta "traffic.sidecar.istio.io/includeOutboundIPRanges" .Values.global.proxy.includeIPRanges }}"
  - "-d"
  - "15090,15021,{{ excludeInboundPort (annotation .ObjectMeta "status.sidecar.istio.io/port" .Values.global.proxy.statusPort) (annotation .ObjectMeta "traffic.sidecar.istio.io/excludeInboundPorts" "") }}"
  {{- if isset .ObjectMeta.Annotations "traffic.sidecar.istio.io/excludeOutboundPorts" }}
  - "-o"
  - "{{ index .ObjectMeta.Annotations "traffic.sidecar.istio.io/excludeOutboundPorts" }}"
  {{- end }}
  {{- if .Values.global.proxy_init.resources }}
  resources:
    {{- toYaml .Values.global.proxy_init.resources | nindent 4 }}
  {{- else }}
  resources: {}
  {{- end }}
  env:
  {{- range $key, $value := .ObjectMeta.Annotations }}
  {{- if hasPrefix "proxy.istio.io/" $key }}
  - name: {{ trimPrefix "proxy.istio.io/" $key | upper | replace "-" "_" }}
    value: {{ $value | quote }}
  {{- end }}
  {{- end }}
  securityContext:
{{ toYaml .SecurityContext | indent 4 }}
{{- end }}
`;

const data = {
  ObjectMeta: {
    Name: 'reviews-v1',
    Annotations: {
      'traffic.sidecar.istio.io/excludeOutboundPorts': '3306',
      'proxy.istio.io/log-level': 'debug',
      'proxy.istio.io/drain': 'true',
      'sidecar.istio.io/interceptionMode': 'REDIRECT',
    },
  },
  ProxyConfig: { InterceptionMode: 'TPROXY' },
  MeshConfig: {},
  Values: {
    global: {
      hub: 'docker.io/istio',
      tag: '1.22.0',
      proxy: { includeIPRanges: '*', statusPort: 15020 },
      proxy_init: { resources: { limits: { cpu: '2000m', memory: '1024Mi' }, requests: { cpu: '10m', memory: '10Mi' } } },
    },
  },
  SecurityContext: { runAsUser: 0, capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] }, allowPrivilegeEscalation: false },
};

const expected = `initContainers:
- name: istio-init
  image: "docker.io/istio/proxyv2:1.22.0"
  args:
  - istio-iptables
  - "-p"
  - "15001"
  - "-m"
  - "REDIRECT"
  - "-i"
  - "*"
  - "-d"
  - "15090,15021,15020"
  - "-o"
  - "3306"
  resources:
    limits:
      cpu: 2000m
      memory: 1024Mi
    requests:
      cpu: 10m
      memory: 10Mi
  env:
  - name: DRAIN
    value: "true"
  - name: LOG_LEVEL
    value: "debug"
  securityContext:
    allowPrivilegeEscalation: false
    capabilities:
      add:
      - NET_ADMIN
      - NET_RAW
      drop:
      - ALL
    runAsUser: 0
`;

test('an Istio-style init container renders like Go would render it', () => {
  const t = Template.parse('sidecar', template, { funcs: { ...sprigFuncs, ...istioFuncs } });
  assert.equal(t.execute(data), expected);
});

test('the same parsed template renders the NONE interception mode as no init container', () => {
  const t = Template.parse('sidecar', template, { funcs: { ...sprigFuncs, ...istioFuncs } });
  const none = { ...data, ObjectMeta: { Name: 'x', Annotations: { 'sidecar.istio.io/interceptionMode': 'NONE' } } };
  assert.equal(t.execute(none), 'initContainers:\n');
});

test('errors in an Istio-style template point at the template line', () => {
  const t = Template.parse('sidecar', 'a: 1\nb: {{ .Values.global.proxy.statusPort }}\n', { funcs: sprigFuncs });
  assert.throws(() => t.execute({ Values: { global: null } }), {
    message: 'template: sidecar:2:13: executing "sidecar" at <.Values.global.proxy...>: nil pointer evaluating interface {}.proxy',
  });
});
