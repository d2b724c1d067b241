// createInjectionHandler mounted on a server of the embedder's own (as `outrigger discovery`
// will mount it on 15017), with fixed settings.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { setSink } from '../../src/log/index.js';
import { createCertificateAuthority, createInjectionHandler, issueServingCertificate, staticSettings, WebhookMetrics } from '../../src/webhook/index.js';
import type { AdmissionReviewResponse, CertificateAuthority, SettingsSource } from '../../src/webhook/index.js';
import { defaultSettings, pod, review } from './helpers.js';

let ca: CertificateAuthority;
let serving: { cert: string; key: string };
const logs: string[] = [];
let restore: ReturnType<typeof setSink>;

before(async () => {
  restore = setSink((line) => logs.push(line));
  ca = await createCertificateAuthority();
  serving = await issueServingCertificate(ca, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
});
after(() => void setSink(restore));

async function withServer<T>(source: SettingsSource, metrics: WebhookMetrics, fn: (port: number) => Promise<T>): Promise<T> {
  const server = https.createServer({ ...serving, minVersion: 'TLSv1.2' }, createInjectionHandler(source, { metrics, cache: false }));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    return await fn((server.address() as AddressInfo).port);
  } finally {
    server.close();
    server.closeAllConnections();
  }
}

function post(port: number, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, method: 'POST', path: '/inject', ca: ca.cert, agent: false, headers: { 'Content-Type': 'application/json; charset=utf-8' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('createInjectionHandler on an embedder\'s server', () => {
  test('injects with the settings it is given, and counts', async () => {
    const metrics = new WebhookMetrics();
    await withServer(staticSettings(defaultSettings()), metrics, async (port) => {
      const reply = await post(port, JSON.stringify(review(pod())));
      assert.equal(reply.status, 200);
      assert.equal((JSON.parse(reply.body) as AdmissionReviewResponse).response.patchType, 'JSONPatch');
      await post(port, JSON.stringify(review(pod({ labels: { 'sidecar.istio.io/inject': 'false' } }))));
    });
    assert.equal(metrics.requests, 2);
    assert.equal(metrics.injections, 1);
    assert.equal(metrics.skipCount('pod_disabled'), 1);
  });

  test('a bug of ours is a 500 and a logged stack, never a crashed process', async () => {
    const metrics = new WebhookMetrics();
    const broken: SettingsSource = {
      current: () => {
        throw new TypeError('settings exploded');
      },
    };
    await withServer(broken, metrics, async (port) => {
      const reply = await post(port, JSON.stringify(review(pod())));
      assert.equal(reply.status, 500);
      assert.equal(reply.body, 'internal error\n');
      // Still serving.
      assert.equal((await post(port, 'not json')).status, 400);
    });
    assert.equal(metrics.failureCount('internal'), 1);
    assert.ok(logs.some((line) => line.includes('internal error serving /inject: TypeError: settings exploded')));
  });
});
