// The injector's values (the `values` key of the istio-sidecar-injector ConfigMap):
// Outrigger's defaults, with a user's values file merged on top.
import { parse as parseYaml } from 'yaml';
import { isObject, mergeProto } from './mesh.js';
import type { JsonObject } from './mesh.js';

export class ValuesError extends Error {}

export function defaultValues(): JsonObject {
  return {
    global: {
      hub: 'docker.io/outrigger',
      tag: 'latest',
      imagePullPolicy: '',
      imagePullSecrets: [],
      istioNamespace: 'istio-system',
      logAsJson: false,
      logging: { level: 'default:info' },
      meshID: '',
      network: '',
      multiCluster: { clusterName: 'Kubernetes' },
      caAddress: '',
      jwtPolicy: 'third-party-jwt',
      pilotCertProvider: 'istiod',
      priorityClassName: '',
      proxy: {
        image: 'proxyv2',
        clusterDomain: 'cluster.local',
        componentLogLevel: 'misc:error',
        logLevel: 'warning',
        enableCoreDump: false,
        excludeInboundPorts: '',
        excludeIPRanges: '',
        excludeOutboundPorts: '',
        includeInboundPorts: '*',
        includeIPRanges: '*',
        includeOutboundPorts: '',
        holdApplicationUntilProxyStarts: false,
        privileged: false,
        readinessFailureThreshold: 4,
        readinessInitialDelaySeconds: 0,
        readinessPeriodSeconds: 15,
        startupProbe: { enabled: true, failureThreshold: 600 },
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '2000m', memory: '1024Mi' } },
        statusPort: 15020,
        tracer: 'none',
        lifecycle: {},
      },
      proxy_init: { image: 'proxyv2', forceApplyIptables: false },
      sts: { servicePort: 0 },
      tracer: { zipkin: { address: '' } },
      variant: '',
    },
    pilot: { cni: { enabled: false, provider: 'default' } },
    istio_cni: { enabled: false, chained: true, provider: 'default' },
    revision: '',
    sidecarInjectorWebhook: {
      rewriteAppHTTPProbe: true,
      enableNamespacesByDefault: false,
      injectedAnnotations: {},
      neverInjectSelector: [],
      alwaysInjectSelector: [],
      defaultTemplates: [],
      templates: {},
    },
  };
}

/** A values file (YAML) merged onto the defaults. */
export function applyValues(yaml: string, base: JsonObject = defaultValues()): JsonObject {
  let parsed: unknown;
  try {
    parsed = parseYaml(yaml, { version: '1.1' });
  } catch (error) {
    throw new ValuesError(`values: ${(error as Error).message.split('\n')[0]}`);
  }
  if (parsed === null || parsed === undefined) return base;
  if (!isObject(parsed)) throw new ValuesError('values: expected a map');
  return mergeProto(base, parsed);
}

/** Reads a dotted path ("global.proxy.statusPort") from values. */
export function valueAt(values: JsonObject, dotted: string): unknown {
  let current: unknown = values;
  for (const part of dotted.split('.')) {
    if (!isObject(current)) return undefined;
    current = current[part];
  }
  return current;
}
