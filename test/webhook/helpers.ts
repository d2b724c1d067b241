// Shared fixtures for the webhook tests: pods, reviews, settings.
import { loadSettings } from '../../src/inject/kube-inject.js';
import type { InjectionSettings } from '../../src/inject/kube-inject.js';
import { parseInjectorConfig } from '../../src/inject/injector-config.js';
import type { AdmissionReviewVersion } from '../../src/webhook/index.js';

export const defaultSettings = (env: Record<string, string> = {}, revision = ''): InjectionSettings => loadSettings({}, revision, env);

/** The default settings with parts of the injector config replaced (policy, selectors…). */
export function withConfig(settings: InjectionSettings, configYaml: string): InjectionSettings {
  const parsed = parseInjectorConfig(configYaml, {});
  const overrides: Partial<typeof parsed> = {};
  for (const line of configYaml.split('\n')) {
    const key = /^(\w+):/.exec(line)?.[1];
    if (key && key in parsed) (overrides as Record<string, unknown>)[key] = (parsed as unknown as Record<string, unknown>)[key];
  }
  if ('templates' in overrides) overrides.rawTemplates = parsed.rawTemplates;
  return { ...settings, config: { ...settings.config, ...overrides } };
}

export interface PodOptions {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  hostNetwork?: boolean;
}

export function pod(options: PodOptions = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: options.name ?? 'ratings',
      ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
      labels: { app: 'ratings', ...options.labels },
      ...(options.annotations ? { annotations: options.annotations } : {}),
    },
    spec: {
      ...(options.hostNetwork ? { hostNetwork: true } : {}),
      containers: [
        {
          name: 'ratings',
          image: 'example/ratings:1',
          ports: [{ containerPort: 9080 }],
          readinessProbe: { httpGet: { path: '/health', port: 9080 } },
        },
      ],
    },
  };
}

let uidCounter = 0;
export function review(object: unknown, options: { version?: AdmissionReviewVersion; namespace?: string; operation?: string; kind?: string; uid?: string } = {}): Record<string, unknown> {
  return {
    apiVersion: options.version ?? 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: options.uid ?? `00000000-0000-0000-0000-${String(++uidCounter).padStart(12, '0')}`,
      kind: { group: '', version: 'v1', kind: options.kind ?? 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: options.kind ?? 'Pod' },
      namespace: options.namespace ?? 'default',
      operation: options.operation ?? 'CREATE',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
      object,
      oldObject: null,
      dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    },
  };
}

type Json = Record<string, unknown>;
export const containerNames = (p: unknown, field: 'containers' | 'initContainers' = 'containers'): string[] =>
  (((p as Json)['spec'] as Json)[field] as Json[] | undefined ?? []).map((c) => String(c['name']));

export function proxyEnv(p: unknown): Record<string, string> {
  const spec = (p as Json)['spec'] as Json;
  const all = [...((spec['containers'] as Json[]) ?? []), ...((spec['initContainers'] as Json[]) ?? [])];
  const proxy = all.find((c) => c['name'] === 'istio-proxy');
  return Object.fromEntries(((proxy?.['env'] as Json[]) ?? []).filter((e) => typeof e['value'] === 'string').map((e) => [String(e['name']), String(e['value'])]));
}
