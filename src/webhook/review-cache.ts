// Identical pods get identical patches. A Deployment scaling up or rolling out sends the
// injector one pod per replica, all the same object (the name is generated after admission),
// so under churn most reviews repeat one just answered. The cache keeps the answers of the last
// few hundred distinct requests, per settings (a reload starts afresh), and re-addresses them to
// the new request's uid.
//
// This holds only if injection is a function of its inputs. Istio's templates are; a template
// calling sprig's random, time or key-generation functions is not, and disables the cache.
import { createHash } from 'node:crypto';
import type { InjectionSettings } from '../inject/kube-inject.js';
import { encodeAdmissionReview } from './admission-review.js';
import type { AdmissionReview, AdmissionResponse } from './admission-review.js';
import { reviewAdmission } from './review.js';
import type { Review, ReviewOptions } from './review.js';

const nonDeterministicFunctions = /\b(rand[A-Za-z]*|uuidv4|now|date[A-Za-z]*|unixEpoch|ago|htpasswd|bcrypt|derivePassword|genPrivateKey|genCA[A-Za-z]*|genSelfSignedCert[A-Za-z]*|genSignedCert[A-Za-z]*|encryptAES|shuffle)\b/;

/** Whether the templates can only produce the same pod from the same input. */
export function templatesAreDeterministic(settings: InjectionSettings): boolean {
  return Object.values(settings.config.rawTemplates).every((text) => !nonDeterministicFunctions.test(text));
}

interface Cached {
  response: Omit<AdmissionResponse, 'uid'>;
  outcome: Review['outcome'];
  podName: string;
}

export class ReviewCache {
  hits = 0;
  private readonly bySettings = new WeakMap<InjectionSettings, Map<string, Cached> | null>();

  constructor(readonly maxEntries = 512) {}

  review(review: AdmissionReview, settings: InjectionSettings, options: ReviewOptions = {}): Review {
    const entries = this.entriesFor(settings);
    if (entries === null) return reviewAdmission(review, settings, options);
    const { request } = review;
    // Everything the answer depends on besides the settings; the uid and user are not among it.
    const key = createHash('sha256')
      .update(JSON.stringify([options.path ?? '/inject', request.namespace ?? '', request.kind?.kind ?? '', request.operation ?? '', request.subResource ?? '', request.object]))
      .digest('base64');
    const cached = entries.get(key);
    if (cached) {
      this.hits++;
      entries.delete(key);
      entries.set(key, cached); // most recently used last
      return { response: encodeAdmissionReview(review, structuredClone(cached.response)), outcome: cached.outcome, podName: cached.podName };
    }
    const answer = reviewAdmission(review, settings, options);
    const { uid: _uid, ...response } = answer.response.response;
    entries.set(key, { response, outcome: answer.outcome, podName: answer.podName });
    if (entries.size > this.maxEntries) entries.delete(entries.keys().next().value!);
    return answer;
  }

  private entriesFor(settings: InjectionSettings): Map<string, Cached> | null {
    let entries = this.bySettings.get(settings);
    if (entries === undefined) {
      entries = this.maxEntries > 0 && templatesAreDeterministic(settings) ? new Map() : null;
      this.bySettings.set(settings, entries);
    }
    return entries;
  }
}
