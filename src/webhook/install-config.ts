// The MutatingWebhookConfiguration that sends pod CREATEs to the injector, with the four
// entries Istio installs so that namespaces and pods opt in the way users know:
//   rev.namespace.  namespaces labelled istio.io/rev=<rev>
//   rev.object.     pods labelled istio.io/rev=<rev> in unlabelled namespaces
//   namespace.      namespaces labelled istio-injection=enabled        (default revision only)
//   object.         pods labelled sidecar.istio.io/inject=true in unlabelled namespaces (idem)
// Every entry skips pods labelled sidecar.istio.io/inject=false, so that the API server does
// not even call the injector for them.
import { Label } from '../inject/constants.js';
import { parseInjectEnvs } from './inject-path.js';

export type FailurePolicy = 'Fail' | 'Ignore';
export type ReinvocationPolicy = 'Never' | 'IfNeeded';

export interface InstallConfigOptions {
  namespace?: string;
  revision?: string;
  /** Base64 PEM bundle of the CA that signed the serving certificate ('' leaves it for a controller to fill). */
  caBundle?: string;
  failurePolicy?: FailurePolicy;
  reinvocationPolicy?: ReinvocationPolicy;
  timeoutSeconds?: number;
  /** The Service in front of the injector; istiod[-<rev>] by default. */
  serviceName?: string;
  servicePort?: number;
  /** The request path: /inject, or /inject/cluster/<c>/net/<n>. */
  path?: string;
  /** An injector outside the cluster: clientConfig.url instead of a Service. */
  url?: string;
  /** Also install the istio-injection=enabled and sidecar.istio.io/inject=true entries; default: when the revision is the default one. */
  defaultRevision?: boolean;
}

export class InstallConfigError extends Error {}

type Selector = { matchExpressions: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[] };
const is = (key: string, ...values: string[]) => ({ key, operator: 'In' as const, values });
const isNot = (key: string, ...values: string[]) => ({ key, operator: 'NotIn' as const, values });
const absent = (key: string) => ({ key, operator: 'DoesNotExist' as const });

export function mutatingWebhookConfiguration(options: InstallConfigOptions = {}): Record<string, unknown> {
  const namespace = options.namespace ?? 'istio-system';
  const revision = options.revision ?? '';
  const revisionValue = revision === '' ? 'default' : revision;
  const timeoutSeconds = options.timeoutSeconds ?? 10;
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 30) {
    throw new InstallConfigError(`invalid timeoutSeconds ${timeoutSeconds}: the API server accepts 1 to 30`);
  }
  const path = options.path ?? '/inject';
  if (!path.startsWith('/inject')) throw new InstallConfigError(`invalid path ${JSON.stringify(path)}: the injector serves /inject and /inject/cluster/<c>/net/<n>`);
  parseInjectEnvs(path);
  if (options.url !== undefined && !/^https:\/\//.test(options.url)) throw new InstallConfigError(`invalid url ${JSON.stringify(options.url)}: the API server calls webhooks over https only`);
  const service = options.serviceName ?? (revision === '' || revision === 'default' ? 'istiod' : `istiod-${revision}`);
  const clientConfig = {
    ...(options.url !== undefined ? { url: options.url } : { service: { name: service, namespace, path, port: options.servicePort ?? 443 } }),
    caBundle: options.caBundle ?? '',
  };
  const entry = (prefix: string, namespaceSelector: Selector, objectSelector: Selector) => ({
    name: `${prefix}sidecar-injector.istio.io`,
    clientConfig,
    rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
    failurePolicy: options.failurePolicy ?? 'Fail',
    sideEffects: 'None',
    admissionReviewVersions: ['v1', 'v1beta1'],
    timeoutSeconds,
    reinvocationPolicy: options.reinvocationPolicy ?? 'Never',
    namespaceSelector,
    objectSelector,
  });
  const notDisabled = isNot(Label.SidecarInject, 'false');
  const webhooks = [
    entry('rev.namespace.', { matchExpressions: [is(Label.IstioRev, revisionValue), absent(Label.IstioInjection)] }, { matchExpressions: [notDisabled] }),
    entry('rev.object.', { matchExpressions: [absent(Label.IstioRev), absent(Label.IstioInjection)] }, { matchExpressions: [notDisabled, is(Label.IstioRev, revisionValue)] }),
  ];
  if (options.defaultRevision ?? (revision === '' || revision === 'default')) {
    webhooks.push(
      entry('namespace.', { matchExpressions: [is(Label.IstioInjection, 'enabled')] }, { matchExpressions: [notDisabled] }),
      entry('object.', { matchExpressions: [absent(Label.IstioInjection), absent(Label.IstioRev)] }, { matchExpressions: [is(Label.SidecarInject, 'true'), absent(Label.IstioRev)] }),
    );
  }
  // Plain data without shared references, so that YAML output has no anchors and aliases.
  return JSON.parse(JSON.stringify({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: {
      name: revision === '' || revision === 'default' ? 'istio-sidecar-injector' : `istio-sidecar-injector-${revision}`,
      labels: { app: 'sidecar-injector', [Label.IstioRev]: revisionValue },
    },
    webhooks,
  })) as Record<string, unknown>;
}
