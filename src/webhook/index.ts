// Automatic sidecar injection: the MutatingAdmissionWebhook. A pure core (review.ts: one
// AdmissionReview in, one out, on the same pipeline as kube-inject), a request listener any
// server can mount (handler.ts), the HTTPS server of `outrigger webhook` (server.ts), and what
// installing it needs (install-config.ts, certs.ts).
export { decodeAdmissionReview, encodeAdmissionReview, AdmissionReviewError, AdmissionReviewVersions } from './admission-review.js';
export type { AdmissionReview, AdmissionRequest, AdmissionResponse, AdmissionReviewResponse, AdmissionReviewVersion } from './admission-review.js';
export { reviewAdmission, reviewAdmissionBody } from './review.js';
export type { Review, ReviewOutcome, ReviewOptions, SkipReason } from './review.js';
export { parseInjectEnvs, isInjectPath } from './inject-path.js';
export { deployMetaFromPod } from './deploy-meta.js';
export type { DeployMeta } from './deploy-meta.js';
export { WebhookMetrics, latencyBuckets } from './metrics.js';
export { ReviewCache, templatesAreDeterministic } from './review-cache.js';
export { createInjectionHandler, defaultMaxBodyBytes } from './handler.js';
export type { InjectionHandlerOptions, RequestListener } from './handler.js';
export { staticSettings, FileSettingsSource } from './settings-source.js';
export type { SettingsSource, SettingsFiles, FileSettingsOptions } from './settings-source.js';
export { CertificateError, checkKeyPair, readKeyPair, watchCertificate } from './certificate-reloader.js';
export { startWebhookServer, DefaultWebhookPort } from './server.js';
export type { WebhookServer, WebhookServerOptions } from './server.js';
export { mutatingWebhookConfiguration, InstallConfigError } from './install-config.js';
export type { InstallConfigOptions, FailurePolicy, ReinvocationPolicy } from './install-config.js';
export { createCertificateAuthority, loadCertificateAuthority, issueServingCertificate, webhookDnsNames, CertificateOptionsError } from './certs.js';
export type { CertificateAuthority, PemKeyPair, ServingCertificateOptions } from './certs.js';
