// The Kubernetes client against the FAKE API server (test/support/fake-kube-api.ts): list with
// pages, watch events, reconnects after a dropped connection or a failing server, relists after
// 410 Gone, and authentication by token and by client certificate.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Informer, KubeApiError, KubeClient } from '../../src/kube/api/index.js';
import type { InformerChange, KubeConnection, KubeObject, WatchEvent } from '../../src/kube/api/index.js';
import { FakeKubeApi, configMap, node } from '../support/fake-kube-api.js';

let api: FakeKubeApi;
before(async () => void (api = await FakeKubeApi.start({ tokens: ['token-1'] })));
after(() => api.close());

const connection = (overrides: Partial<KubeConnection> = {}): KubeConnection => ({ server: new URL(api.url), ca: Buffer.from(api.ca.cert), token: () => 'token-1', ...overrides });

/** Polls until the condition holds (events arrive asynchronously), failing after a few seconds. */
async function eventually(condition: () => boolean, what: string, ms = 4000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const cmPath = (ns: string) => `/api/v1/namespaces/${ns}/configmaps`;
const dataOf = (object: KubeObject | undefined) => (object?.['data'] as Record<string, string> | undefined);

describe('KubeClient', () => {
  test('get one object; a missing one is a 404 KubeApiError with the server\'s reason', async () => {
    api.put('configmaps', configMap('get-ns', 'istio', { mesh: 'a' }));
    const client = new KubeClient(connection());
    try {
      const cm = await client.get<KubeObject>(`${cmPath('get-ns')}/istio`);
      assert.deepEqual(cm['data'], { mesh: 'a' });
      await assert.rejects(client.get(`${cmPath('get-ns')}/nope`), (error: unknown) => error instanceof KubeApiError && error.status === 404 && error.reason === 'NotFound' && /configmaps "nope" not found/.test(error.message));
    } finally {
      client.close();
    }
  });

  test('list follows continue tokens across pages and returns the snapshot\'s resourceVersion', async () => {
    for (let i = 0; i < 7; i++) api.put('nodes', node(`list-node-${i}`, 'v1.29.0'));
    const client = new KubeClient(connection());
    try {
      const before = api.requests.length;
      const list = await client.list('/api/v1/nodes', {}, 3);
      assert.deepEqual(list.items.map((n) => n.metadata?.name).filter((n) => n?.startsWith('list-node-')), [0, 1, 2, 3, 4, 5, 6].map((i) => `list-node-${i}`));
      assert.match(list.resourceVersion, /^\d+$/);
      const pages = api.requests.slice(before);
      assert.ok(pages.length >= 3, `${pages.length} pages`);
      assert.equal(pages[0]!.query.get('limit'), '3');
      assert.equal(pages[1]!.query.get('continue'), '3');
    } finally {
      client.close();
    }
  });

  test('authentication: the bearer token asked for on every request; a wrong token is 401; a path prefix is kept', async () => {
    let token = 'token-1';
    const client = new KubeClient(connection({ token: () => token }));
    try {
      await client.list(cmPath('auth'));
      assert.equal(api.requests.at(-1)!.authorization, 'Bearer token-1');
      api.tokens.add('token-2');
      token = 'token-2';
      await client.list(cmPath('auth'));
      assert.equal(api.requests.at(-1)!.authorization, 'Bearer token-2');
      token = 'wrong';
      await assert.rejects(client.list(cmPath('auth')), (error: unknown) => error instanceof KubeApiError && error.status === 401);
    } finally {
      client.close();
    }
    const prefixed = new KubeClient(connection({ server: new URL(`${api.url}/prefix/`) }));
    assert.equal(prefixed.url('/api/v1/nodes', { limit: 5, continue: undefined }).toString(), `${api.url}/prefix/api/v1/nodes?limit=5`);
    prefixed.close();
  });

  test('TLS: an unknown CA is refused unless insecure-skip-tls-verify', async () => {
    const strict = new KubeClient(connection({ ca: undefined }) as KubeConnection);
    await assert.rejects(strict.list(cmPath('tls')), (error: unknown) => error instanceof KubeApiError && error.status === 0 && /certificate/i.test(error.message));
    strict.close();
    const { ca: _ca, ...rest } = connection();
    const insecure = new KubeClient({ ...rest, insecureSkipTlsVerify: true });
    await insecure.list(cmPath('tls'));
    insecure.close();
  });

  test('watch delivers ADDED, MODIFIED and DELETED in order, from a resourceVersion', async () => {
    const client = new KubeClient(connection());
    const abort = new AbortController();
    const events: WatchEvent[] = [];
    try {
      api.put('configmaps', configMap('watch-ns', 'before', { k: '0' }));
      const { resourceVersion } = await client.list(cmPath('watch-ns'));
      const done = client.watch(cmPath('watch-ns'), { resourceVersion }, (e) => events.push(e), { signal: abort.signal });
      await eventually(() => api.openWatches > 0, 'the watch to open');
      api.put('configmaps', configMap('watch-ns', 'x', { k: '1' }));
      api.put('configmaps', configMap('watch-ns', 'x', { k: '2' }));
      api.put('configmaps', configMap('other-ns', 'x', { k: 'elsewhere' }));
      api.remove('configmaps', 'watch-ns', 'x');
      await eventually(() => events.length === 3, 'three events');
      assert.deepEqual(events.map((e) => [e.type, e.object.metadata?.name, dataOf(e.object)?.['k']]), [['ADDED', 'x', '1'], ['MODIFIED', 'x', '2'], ['DELETED', 'x', '2']]);
      const query = api.requests.findLast((r) => r.query.get('watch') === '1')!.query;
      assert.equal(query.get('resourceVersion'), resourceVersion);
      assert.equal(query.get('allowWatchBookmarks'), 'true');
      abort.abort();
      await done;
    } finally {
      client.close();
    }
  });

  test('watch: a dropped connection rejects; an HTTP 410 rejects with status 410', async () => {
    const client = new KubeClient(connection());
    try {
      const { resourceVersion } = await client.list(cmPath('drop'));
      const done = client.watch(cmPath('drop'), { resourceVersion }, () => undefined);
      await eventually(() => api.openWatches > 0, 'the watch to open');
      api.dropWatches();
      await assert.rejects(done, KubeApiError);
      api.put('configmaps', configMap('drop', 'a', {}));
      api.compact();
      api.goneAsStatus = true;
      await assert.rejects(client.watch(cmPath('drop'), { resourceVersion }, () => undefined), (error: unknown) => error instanceof KubeApiError && error.status === 410);
    } finally {
      api.goneAsStatus = false;
      client.close();
    }
  });
});

describe('Informer', () => {
  const fast = { initialMs: 20, maxMs: 200 };

  function start(ns: string, query = {}) {
    const client = new KubeClient(connection());
    const changes: InformerChange[] = [];
    let current = new Map<string, KubeObject>();
    const informer = new Informer(client, {
      path: cmPath(ns),
      query,
      backoff: fast,
      onChange: (objects, change) => {
        changes.push(change);
        current = new Map(objects);
      },
    });
    return {
      informer,
      changes,
      data: (name: string) => dataOf(current.get(`${ns}/${name}`)),
      close: () => {
        informer.close();
        client.close();
      },
    };
  }

  test('lists, then follows events; a fieldSelector narrows it to one object', async () => {
    api.put('configmaps', configMap('inf', 'istio', { mesh: 'v1' }));
    api.put('configmaps', configMap('inf', 'unrelated', { x: '1' }));
    const all = start('inf');
    const one = start('inf', { fieldSelector: 'metadata.name=istio' });
    try {
      await Promise.all([all.informer.synced, one.informer.synced]);
      assert.deepEqual(all.data('istio'), { mesh: 'v1' });
      assert.deepEqual(one.informer.list().map((o) => o.metadata?.name), ['istio']);
      await eventually(() => api.openWatches >= 2, 'both watches');
      api.put('configmaps', configMap('inf', 'istio', { mesh: 'v2' }));
      api.put('configmaps', configMap('inf', 'unrelated', { x: '2' }));
      await eventually(() => one.data('istio')?.['mesh'] === 'v2' && all.data('unrelated')?.['x'] === '2', 'the edits');
      assert.deepEqual(one.changes, ['sync', 'MODIFIED']);
      api.remove('configmaps', 'inf', 'istio');
      await eventually(() => one.data('istio') === undefined, 'the delete');
      assert.deepEqual(one.changes, ['sync', 'MODIFIED', 'DELETED']);
    } finally {
      all.close();
      one.close();
    }
  });

  test('reconnects after the connection drops, from the last version seen (nothing missed, nothing replayed)', async () => {
    const watched = start('reconnect');
    try {
      await watched.informer.synced;
      await eventually(() => api.openWatches > 0, 'the watch');
      api.put('configmaps', configMap('reconnect', 'a', { v: '1' }));
      await eventually(() => watched.data('a')?.['v'] === '1', 'v1');
      const watchesBefore = api.requests.filter((r) => r.path === cmPath('reconnect') && r.query.get('watch') === '1').length;
      api.dropWatches();
      // Changed while no watch is open, and the server fails the first attempt to reconnect.
      api.failNext(1, 503);
      api.put('configmaps', configMap('reconnect', 'a', { v: '2' }));
      await eventually(() => watched.data('a')?.['v'] === '2', 'v2 after the reconnect');
      const watches = api.requests.filter((r) => r.path === cmPath('reconnect') && r.query.get('watch') === '1');
      assert.ok(watches.length > watchesBefore);
      assert.equal(watched.informer.relists, 0, 'resumed by resourceVersion, not relisted');
      assert.ok(watched.informer.reconnects >= 1);
      assert.deepEqual(watched.changes, ['sync', 'ADDED', 'MODIFIED']);
    } finally {
      watched.close();
    }
  });

  test('relists after 410 Gone, as an ERROR event or as an HTTP status, and reports what changed meanwhile', async () => {
    for (const goneAsStatus of [false, true]) {
      const ns = `gone-${goneAsStatus}`;
      api.put('configmaps', configMap(ns, 'a', { v: '1' }));
      const watched = start(ns);
      try {
        await watched.informer.synced;
        await eventually(() => api.openWatches > 0, 'the watch');
        api.goneAsStatus = goneAsStatus;
        api.dropWatches();
        api.put('configmaps', configMap(ns, 'a', { v: '2' }));
        api.put('configmaps', configMap(ns, 'b', { v: '1' }));
        api.compact();
        await eventually(() => watched.data('a')?.['v'] === '2' && watched.data('b')?.['v'] === '1', 'the relisted state');
        assert.equal(watched.informer.relists, 1);
        // And the watch from the relist works.
        api.put('configmaps', configMap(ns, 'a', { v: '3' }));
        await eventually(() => watched.data('a')?.['v'] === '3', 'v3');
      } finally {
        api.goneAsStatus = false;
        watched.close();
      }
    }
  });

  test('a 410 ERROR event on an open watch relists', async () => {
    const watched = start('gone-open');
    try {
      await watched.informer.synced;
      await eventually(() => api.openWatches > 0, 'the watch');
      api.put('configmaps', configMap('gone-open', 'a', { v: '1' }));
      await eventually(() => watched.data('a')?.['v'] === '1', 'v1');
      api.compact({ notifyWatches: true });
      await eventually(() => watched.informer.relists === 1, 'the relist');
      assert.deepEqual(watched.data('a'), { v: '1' });
    } finally {
      watched.close();
    }
  });

  test('a watch the server ends (its timeoutSeconds) is reopened from the last version, without a relist', async () => {
    const client = new KubeClient(connection());
    let seen: string | undefined;
    const informer = new Informer(client, {
      path: cmPath('renew'),
      backoff: fast,
      watchTimeoutSeconds: 1,
      onChange: (objects) => (seen = (objects.get('renew/a')?.['data'] as Record<string, string> | undefined)?.['v']),
    });
    try {
      await informer.synced;
      api.put('configmaps', configMap('renew', 'a', { v: '1' }));
      await eventually(() => seen === '1', 'v1');
      const watches = () => api.requests.filter((r) => r.path === cmPath('renew') && r.query.get('watch') === '1');
      await eventually(() => watches().length >= 2, 'a second watch', 3000);
      assert.equal(watches()[0]!.query.get('timeoutSeconds'), '1');
      api.put('configmaps', configMap('renew', 'a', { v: '2' }));
      await eventually(() => seen === '2', 'v2 on the renewed watch');
      assert.equal(informer.relists, 0);
      assert.equal(informer.reconnects, 0);
    } finally {
      informer.close();
      client.close();
    }
  });

  test('the first list failing for good (403) rejects synced; a 500 is retried', async () => {
    api.forbidden.add('nodes');
    const client = new KubeClient(connection());
    try {
      const informer = new Informer(client, { path: '/api/v1/nodes', backoff: fast, onChange: () => undefined });
      await assert.rejects(informer.synced, (error: unknown) => error instanceof KubeApiError && error.status === 403 && /cannot list resource "nodes"/.test(error.message));
      api.forbidden.delete('nodes');
      // Three failures: waits of 50, 100 and 100 ms (doubling up to the ceiling).
      api.failNext(3, 500);
      const started = Date.now();
      const retried = new Informer(client, { path: '/api/v1/nodes', backoff: { initialMs: 50, maxMs: 100 }, onChange: () => undefined });
      await retried.synced;
      assert.equal(retried.reconnects, 3);
      assert.ok(Date.now() - started >= 240, `backed off ${Date.now() - started} ms`);
      retried.close();
    } finally {
      api.forbidden.delete('nodes');
      client.close();
    }
  });
});
