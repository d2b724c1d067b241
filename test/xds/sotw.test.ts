import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SotwStream } from '../../src/xds/sotw.js';

const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const EDS = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
const LDS = 'type.googleapis.com/envoy.config.listener.v3.Listener';
const req = (typeUrl: string, responseNonce = '', versionInfo = '', resourceNames: string[] = [], errorDetail?: { message: string }) => ({ typeUrl, responseNonce, versionInfo, resourceNames, ...(errorDetail ? { errorDetail } : {}) });

describe('state of the world on one stream', () => {
  test('first request → send; ACK of the latest nonce → nothing; ACK records the version', () => {
    const s = new SotwStream('n');
    assert.deepEqual(s.onRequest(req(CDS)), { kind: 'initial', send: true });
    const nonce = s.sent(CDS, 'v1', 'h1');
    assert.equal(nonce, 'n-1');
    assert.deepEqual(s.onRequest(req(CDS, nonce, 'v1')), { kind: 'ack', send: false });
    assert.equal(s.status()[0]!.ackedVersion, 'v1');
  });

  test('a NACK is recorded with the refused version and message; nothing is resent until a change', () => {
    const s = new SotwStream('n');
    s.onRequest(req(LDS));
    s.sent(LDS, 'v1', 'h1');
    s.onRequest(req(LDS, 'n-1', 'v1'));
    const nonce = s.sent(LDS, 'v2', 'h2');
    assert.deepEqual(s.onRequest(req(LDS, nonce, 'v1', [], { message: 'listener x: unsupported field' })), { kind: 'nack', send: false });
    const status = s.status()[0]!;
    assert.equal(status.ackedVersion, 'v1');
    assert.deepEqual(status.nack, { version: 'v2', message: 'listener x: unsupported field' });
    // The next accepted version clears it.
    const next = s.sent(LDS, 'v3', 'h3');
    s.onRequest(req(LDS, next, 'v3'));
    assert.equal(s.status()[0]!.nack, undefined);
  });

  test('a stale nonce is ignored', () => {
    const s = new SotwStream('n');
    s.onRequest(req(CDS));
    s.sent(CDS, 'v1', 'h');
    s.sent(CDS, 'v2', 'h2');
    assert.deepEqual(s.onRequest(req(CDS, 'n-1', 'v1')), { kind: 'stale', send: false });
  });

  test('a changed subscription (EDS names) is answered at once', () => {
    const s = new SotwStream('n');
    s.onRequest(req(EDS, '', '', ['a']));
    const nonce = s.sent(EDS, 'v1', 'h');
    assert.deepEqual(s.onRequest(req(EDS, nonce, 'v1', ['a', 'b'])), { kind: 'resubscribe', send: true });
    assert.deepEqual(s.names(EDS), ['a', 'b']);
    assert.deepEqual(s.onRequest(req(EDS, s.sent(EDS, 'v1', 'h2'), 'v1', ['b', 'a'])), { kind: 'ack', send: false });
  });

  test('pushes go in warming order and only where the content changed', () => {
    const s = new SotwStream('n');
    for (const t of [LDS, EDS, CDS]) s.onRequest(req(t));
    assert.deepEqual(s.watchedTypes(), [CDS, EDS, LDS]);
    s.sent(CDS, 'v1', 'same');
    assert.equal(s.changed(CDS, 'same'), false);
    assert.equal(s.changed(CDS, 'other'), true);
  });
});
