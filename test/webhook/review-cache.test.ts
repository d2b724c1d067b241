// The cache of answers to identical requests: hits re-addressed to the new uid, misses on any
// input that matters, nothing cached for templates that are not deterministic.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAdmissionReview, reviewAdmission, ReviewCache, templatesAreDeterministic } from '../../src/webhook/index.js';
import { defaultSettings, pod, review, withConfig } from './helpers.js';

const settings = defaultSettings();
const decoded = (body: unknown) => decodeAdmissionReview(JSON.stringify(body));

describe('ReviewCache', () => {
  test('an identical pod is answered from the cache, under its own uid', () => {
    const cache = new ReviewCache();
    const first = cache.review(decoded(review(pod(), { uid: 'one' })), settings);
    const second = cache.review(decoded(review(pod(), { uid: 'two' })), settings);
    assert.equal(cache.hits, 1);
    assert.equal(second.response.response.uid, 'two');
    assert.deepEqual({ ...second.response.response, uid: 'one' }, first.response.response);
    assert.deepEqual(second.response, reviewAdmission(decoded(review(pod(), { uid: 'two' })), settings).response);
  });

  test('the answer depends on the pod, the namespace, the path, the version and the settings', () => {
    const cache = new ReviewCache();
    cache.review(decoded(review(pod())), settings);
    cache.review(decoded(review(pod({ labels: { version: 'v2' } }))), settings);
    cache.review(decoded(review(pod(), { namespace: 'other' })), settings);
    cache.review(decoded(review(pod())), settings, { path: '/inject/cluster/c/net/n' });
    cache.review(decoded(review(pod())), defaultSettings());
    assert.equal(cache.hits, 0);
    const v1beta1 = cache.review(decoded(review(pod(), { version: 'admission.k8s.io/v1beta1' })), settings);
    assert.equal(v1beta1.response.apiVersion, 'admission.k8s.io/v1beta1', 'a hit still answers in the version asked');
  });

  test('least recently used entries go first', () => {
    const cache = new ReviewCache(2);
    const a = review(pod({ name: 'a' }));
    const b = review(pod({ name: 'b' }));
    const c = review(pod({ name: 'c' }));
    for (const r of [a, b, a, c, a, b]) cache.review(decoded(r), settings);
    // a, b (miss, miss), a (hit), c (miss, evicts b), a (hit), b (miss)
    assert.equal(cache.hits, 2);
  });

  test('size 0, and templates using random or time functions, are never cached', () => {
    const off = new ReviewCache(0);
    off.review(decoded(review(pod())), settings);
    off.review(decoded(review(pod())), settings);
    assert.equal(off.hits, 0);
    const random = withConfig(settings, 'templates:\n  sidecar: |\n    metadata:\n      annotations:\n        example.com/nonce: {{ uuidv4 | quote }}\n');
    assert.equal(templatesAreDeterministic(random), false);
    assert.equal(templatesAreDeterministic(settings), true);
    const cache = new ReviewCache();
    const first = cache.review(decoded(review(pod())), random);
    const second = cache.review(decoded(review(pod())), random);
    assert.equal(cache.hits, 0);
    assert.notEqual(first.response.response.patch, second.response.response.patch);
  });
});
