// AdmissionReview as the API server sends it (admission.k8s.io/v1 and v1beta1 share one
// shape) and the response it expects back, in the version it asked in. Decoding checks only
// what the injector relies on, so that a review from a newer API server still decodes.

export const AdmissionReviewVersions = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const;
export type AdmissionReviewVersion = (typeof AdmissionReviewVersions)[number];

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface AdmissionRequest {
  uid: string;
  kind?: GroupVersionKind;
  resource?: { group: string; version: string; resource: string };
  subResource?: string;
  name?: string;
  namespace?: string;
  operation?: string;
  dryRun?: boolean;
  object?: unknown;
  [field: string]: unknown;
}

export interface AdmissionReview {
  apiVersion: AdmissionReviewVersion;
  kind: 'AdmissionReview';
  request: AdmissionRequest;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { message: string };
  patch?: string;
  patchType?: 'JSONPatch';
  warnings?: string[];
}

export interface AdmissionReviewResponse {
  apiVersion: AdmissionReviewVersion;
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

/** The body is not an AdmissionReview we can answer: the HTTP shell replies 400. */
export class AdmissionReviewError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdmissionReviewError';
  }
}

const isMap = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses and checks a request body; anything that is not a review with a request and a uid throws AdmissionReviewError. */
export function decodeAdmissionReview(body: string | Buffer): AdmissionReview {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch (error) {
    throw new AdmissionReviewError(`could not decode body: not JSON (${(error as Error).message})`);
  }
  if (!isMap(parsed)) throw new AdmissionReviewError('could not decode body: expected a JSON object (an AdmissionReview)');
  const { apiVersion, kind, request } = parsed;
  if (kind !== 'AdmissionReview') throw new AdmissionReviewError(`could not decode body: kind is ${JSON.stringify(kind ?? null)}, expected "AdmissionReview"`);
  if (!AdmissionReviewVersions.includes(apiVersion as AdmissionReviewVersion)) {
    throw new AdmissionReviewError(`could not decode body: apiVersion ${JSON.stringify(apiVersion ?? null)} is not supported (${AdmissionReviewVersions.join(' or ')})`);
  }
  if (!isMap(request)) throw new AdmissionReviewError('could not decode body: the AdmissionReview has no request');
  if (typeof request['uid'] !== 'string' || request['uid'] === '') throw new AdmissionReviewError('could not decode body: request.uid is missing');
  return { apiVersion: apiVersion as AdmissionReviewVersion, kind: 'AdmissionReview', request: request as AdmissionRequest };
}

/** Wraps a response in a review of the version the request came in; the uid is always the request's. */
export function encodeAdmissionReview(review: AdmissionReview, response: Omit<AdmissionResponse, 'uid'>): AdmissionReviewResponse {
  return { apiVersion: review.apiVersion, kind: 'AdmissionReview', response: { uid: review.request.uid, ...response } };
}
