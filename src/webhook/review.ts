// The webhook's pure core: one AdmissionReview in, one out. It decides with the injector
// config like Istio's webhook does, runs the same pipeline as kube-inject (injectPod), and
// answers with a JSON Patch from the pod as sent to the injected pod.
import { injectPod } from '../inject/inject-pod.js';
import type { InjectionSettings } from '../inject/kube-inject.js';
import { isObject } from '../inject/mesh.js';
import type { JsonObject } from '../inject/mesh.js';
import { injectRequired } from '../inject/policy.js';
import { createJsonPatch } from '../kube/index.js';
import type { JsonPatchOperation } from '../kube/index.js';
import { decodeAdmissionReview, encodeAdmissionReview } from './admission-review.js';
import type { AdmissionReview, AdmissionReviewResponse } from './admission-review.js';
import { deployMetaFromPod } from './deploy-meta.js';
import { parseInjectEnvs } from './inject-path.js';

/** Why a pod was admitted unchanged; the label values of sidecar_injection_skip_total. */
export type SkipReason =
  | 'not_pod_create' // the webhook was called for something else: a configuration mistake
  | 'host_network'
  | 'ignored_namespace'
  | 'pod_disabled' // sidecar.istio.io/inject says no
  | 'never_inject_selector'
  | 'policy_disabled'
  | 'no_change'; // injected already: re-invocation gives the same pod

export type ReviewOutcome =
  | { result: 'injected'; patch: JsonPatchOperation[] }
  | { result: 'skipped'; reason: SkipReason; detail: string }
  | { result: 'denied'; message: string };

export interface Review {
  response: AdmissionReviewResponse;
  outcome: ReviewOutcome;
  /** "namespace/name" of the pod, or its generateName with "***", for logs. */
  podName: string;
}

export interface ReviewOptions {
  /** The request path, whose /cluster/<c>/net/<n> parameters become proxy environment variables. */
  path?: string;
}

function skipReason(reason: string): SkipReason {
  // injectRequired explains itself in words; the metric needs a fixed, small set of values.
  if (reason === 'host networking is enabled') return 'host_network';
  if (reason.startsWith('namespace ')) return 'ignored_namespace';
  if (reason === 'the pod matches neverInjectSelector') return 'never_inject_selector';
  if (reason === 'the injection policy is disabled') return 'policy_disabled';
  return 'pod_disabled';
}

function potentialPodName(metadata: JsonObject): string {
  const namespace = String(metadata['namespace'] ?? '');
  const name = typeof metadata['name'] === 'string' && metadata['name'] !== '' ? metadata['name'] : typeof metadata['generateName'] === 'string' ? `${metadata['generateName']}***` : '';
  return namespace === '' ? name : `${namespace}/${name}`;
}

const stringMap = (value: unknown): Record<string, string> =>
  isObject(value) ? Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'string')) as Record<string, string> : {};

/** Answers one decoded review. Never throws for anything in the review: failures become `allowed: false`. */
export function reviewAdmission(review: AdmissionReview, settings: InjectionSettings, options: ReviewOptions = {}): Review {
  const request = review.request;
  const object = request.object;
  const kind = request.kind?.kind ?? (isObject(object) ? object['kind'] : undefined);
  const operation = request.operation ?? 'CREATE';
  if (kind !== 'Pod' || operation !== 'CREATE' || (request.subResource ?? '') !== '') {
    // The MutatingWebhookConfiguration sends only pod CREATEs; say so rather than block the
    // API server's other writes because of a misconfigured rule.
    const what = `${String(kind ?? 'unknown kind')} ${operation}${request.subResource ? ` (${request.subResource})` : ''}`;
    return {
      response: encodeAdmissionReview(review, { allowed: true, warnings: [`sidecar injector: only Pod CREATE is injected; ${what} admitted unchanged (check the webhook's rules)`] }),
      outcome: { result: 'skipped', reason: 'not_pod_create', detail: what },
      podName: String(request.name ?? ''),
    };
  }
  const deny = (message: string, podName: string): Review => ({
    response: encodeAdmissionReview(review, { allowed: false, status: { message } }),
    outcome: { result: 'denied', message },
    podName,
  });
  if (!isObject(object)) return deny('could not decode the pod: request.object is not an object', '');
  for (const field of ['metadata', 'spec'] as const) {
    if (object[field] !== undefined && !isObject(object[field])) return deny(`could not decode the pod: ${field} must be an object`, '');
  }

  // The pod the pipeline sees: managedFields can be large and are never needed; a pod made by a
  // controller may not carry its namespace yet.
  const sentMetadata = (object['metadata'] ?? {}) as JsonObject;
  const metadata: JsonObject = { ...sentMetadata };
  delete metadata['managedFields'];
  if (typeof metadata['namespace'] !== 'string' || metadata['namespace'] === '') {
    if (typeof request.namespace === 'string' && request.namespace !== '') metadata['namespace'] = request.namespace;
  }
  const spec = (object['spec'] ?? {}) as JsonObject;
  const podName = potentialPodName(metadata);

  const namespace = typeof metadata['namespace'] === 'string' ? metadata['namespace'] : undefined;
  const decision = injectRequired(
    { ...(namespace !== undefined ? { namespace } : {}), labels: stringMap(metadata['labels']), annotations: stringMap(metadata['annotations']), hostNetwork: spec['hostNetwork'] === true },
    settings.config,
  );
  if (!decision.inject) {
    return { response: encodeAdmissionReview(review, { allowed: true }), outcome: { result: 'skipped', reason: skipReason(decision.reason), detail: decision.reason }, podName };
  }

  const owner = deployMetaFromPod(metadata);
  let injected;
  try {
    injected = injectPod({
      kind: owner.kind,
      apiVersion: owner.apiVersion,
      deploymentName: owner.name,
      deploymentNamespace: owner.namespace,
      metadata,
      spec,
      config: settings.config,
      meshConfig: settings.meshConfig,
      values: settings.values,
      revision: settings.revision,
      nativeSidecars: settings.nativeSidecars,
      env: settings.env,
      proxyEnvs: parseInjectEnvs(options.path ?? '/inject'),
    });
  } catch (error) {
    // Istio answers a failed injection with allowed: false and the error, so the user sees why
    // (kubectl prints it; a controller records it as an event) whatever the failurePolicy.
    return deny(`sidecar injection failed for ${podName || 'the pod'}: ${(error as Error).message}`, podName);
  }

  // The patch only touches what injection changed: the namespace and managedFields stay as sent.
  const injectedMetadata: JsonObject = { ...injected.metadata };
  delete injectedMetadata['namespace'];
  if (sentMetadata['namespace'] !== undefined) injectedMetadata['namespace'] = sentMetadata['namespace'];
  if (sentMetadata['managedFields'] !== undefined) injectedMetadata['managedFields'] = sentMetadata['managedFields'];
  const patch = createJsonPatch(object, { ...object, metadata: injectedMetadata, spec: injected.spec });
  if (patch.length === 0) {
    return { response: encodeAdmissionReview(review, { allowed: true }), outcome: { result: 'skipped', reason: 'no_change', detail: 'the pod is injected already' }, podName };
  }
  return {
    response: encodeAdmissionReview(review, { allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') }),
    outcome: { result: 'injected', patch },
    podName,
  };
}

/** Body in, review out; throws AdmissionReviewError (HTTP 400) when the body is not a review. */
export function reviewAdmissionBody(body: string | Buffer, settings: InjectionSettings, options: ReviewOptions = {}): Review {
  return reviewAdmission(decodeAdmissionReview(body), settings, options);
}
