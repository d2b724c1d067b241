// Names from Istio's injector: containers, annotations, labels, environment variables.

export const ProxyContainerName = 'istio-proxy';
export const InitContainerName = 'istio-init';
export const ValidationContainerName = 'istio-validation';
export const EnableCoreDumpName = 'enable-core-dump';

export const Annotation = {
  SidecarInject: 'sidecar.istio.io/inject',
  SidecarStatus: 'sidecar.istio.io/status',
  ProxyConfig: 'proxy.istio.io/config',
  ProxyOverrides: 'proxy.istio.io/overrides',
  InjectTemplates: 'inject.istio.io/templates',
  InterceptionMode: 'sidecar.istio.io/interceptionMode',
  RewriteAppHTTPProbers: 'sidecar.istio.io/rewriteAppHTTPProbers',
  StatusPort: 'status.sidecar.istio.io/port',
  ReadinessInitialDelaySeconds: 'readiness.status.sidecar.istio.io/initialDelaySeconds',
  ReadinessPeriodSeconds: 'readiness.status.sidecar.istio.io/periodSeconds',
  ReadinessFailureThreshold: 'readiness.status.sidecar.istio.io/failureThreshold',
  ReadinessApplicationPorts: 'readiness.status.sidecar.istio.io/applicationPorts',
  IncludeOutboundIPRanges: 'traffic.sidecar.istio.io/includeOutboundIPRanges',
  ExcludeOutboundIPRanges: 'traffic.sidecar.istio.io/excludeOutboundIPRanges',
  IncludeInboundPorts: 'traffic.sidecar.istio.io/includeInboundPorts',
  ExcludeInboundPorts: 'traffic.sidecar.istio.io/excludeInboundPorts',
  IncludeOutboundPorts: 'traffic.sidecar.istio.io/includeOutboundPorts',
  ExcludeOutboundPorts: 'traffic.sidecar.istio.io/excludeOutboundPorts',
  ExcludeInterfaces: 'traffic.sidecar.istio.io/excludeInterfaces',
  KubevirtInterfaces: 'traffic.sidecar.istio.io/kubevirtInterfaces',
  ProxyCPU: 'sidecar.istio.io/proxyCPU',
  ProxyCPULimit: 'sidecar.istio.io/proxyCPULimit',
  ProxyMemory: 'sidecar.istio.io/proxyMemory',
  ProxyMemoryLimit: 'sidecar.istio.io/proxyMemoryLimit',
  ProxyImage: 'sidecar.istio.io/proxyImage',
  PrometheusMergeMetrics: 'prometheus.istio.io/merge-metrics',
  KubectlDefaultContainer: 'kubectl.kubernetes.io/default-container',
  KubectlDefaultLogsContainer: 'kubectl.kubernetes.io/default-logs-container',
} as const;

export const Label = {
  SidecarInject: 'sidecar.istio.io/inject',
  IstioRev: 'istio.io/rev',
  IstioInjection: 'istio-injection',
  TlsMode: 'security.istio.io/tlsMode',
  CanonicalName: 'service.istio.io/canonical-name',
  CanonicalRevision: 'service.istio.io/canonical-revision',
} as const;

export const Env = {
  KubeAppProbers: 'ISTIO_KUBE_APP_PROBERS',
  PrometheusAnnotations: 'ISTIO_PROMETHEUS_ANNOTATIONS',
} as const;

export const PrometheusAnnotation = {
  scrape: 'prometheus.io/scrape',
  port: 'prometheus.io/port',
  path: 'prometheus.io/path',
} as const;

/** Namespaces the injector never touches. */
export const IgnoredNamespaces = ['kube-system', 'kube-public'];

export const DefaultProxyUID = 1337;
export const DefaultProxyGID = 1337;
