// RING_HASH and hash policies: consistency as a pure property, then stickiness over real HTTP.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { RingHashLoadBalancer, hashString, seededRandom } from '../../src/proxy/load-balancers/index.js';
import { Host } from '../../src/proxy/upstream/host.js';
import { compileHashPolicy } from '../../src/proxy/http/hash-policy.js';
import { listenerPort, proxy, sa, staticCluster } from './helpers.js';

const hosts = (n: number, weight = 1) => Array.from({ length: n }, (_, i) => new Host(`10.0.0.${i + 1}`, 80, weight));

describe('RING_HASH', () => {
  test('the same key always lands on the same host', () => {
    const lb = new RingHashLoadBalancer({ random: seededRandom(1) });
    const hs = hosts(5);
    for (const key of ['a', 'user-42', 'session=xyz']) {
      const first = lb.choose(hs, { hash: hashString(key) });
      for (let i = 0; i < 10; i++) assert.equal(lb.choose(hs, { hash: hashString(key) }), first);
    }
  });

  test('removing one of five hosts moves its keys and leaves most others in place', () => {
    const lb = new RingHashLoadBalancer({ random: seededRandom(1) });
    const five = hosts(5);
    const four = five.slice(0, 4);
    const keys = Array.from({ length: 2000 }, (_, i) => hashString(`key-${i}`));
    const before = keys.map((k) => lb.choose(five, { hash: k }));
    const after = keys.map((k) => lb.choose(four, { hash: k }));
    const ownedByRemoved = before.filter((h) => h === five[4]).length;
    assert.ok(ownedByRemoved > 250 && ownedByRemoved < 550, `removed host owned ${ownedByRemoved}`);
    // As in Envoy, the ring is resized to the host set, so a few other keys move too.
    const others = keys.filter((_, i) => before[i] !== five[4]);
    const movedOthers = keys.filter((_, i) => before[i] !== five[4] && before[i] !== after[i]).length;
    assert.ok(movedOthers / others.length < 0.25, `${movedOthers} of ${others.length} other keys moved`);
  });

  test('weights shift the share of keys', () => {
    const lb = new RingHashLoadBalancer({ random: seededRandom(1) });
    const hs = [new Host('10.0.0.1', 80, 3), new Host('10.0.0.2', 80, 1)];
    const picks = Array.from({ length: 4000 }, (_, i) => lb.choose(hs, { hash: hashString(`k${i}`) }));
    const share = picks.filter((h) => h === hs[0]).length / picks.length;
    assert.ok(share > 0.65 && share < 0.85, `heavy host share ${share}`);
  });

  test('without a hash the pick is random', () => {
    const lb = new RingHashLoadBalancer({ random: seededRandom(3) });
    const hs = hosts(3);
    assert.equal(new Set(Array.from({ length: 50 }, () => lb.choose(hs))).size, 3);
  });
});

describe('hash policies', () => {
  const input = (headers: Record<string, string>, sourceIp = '10.1.1.1', path = '/') => ({ header: (n: string) => headers[n], sourceIp, path });
  test('header, cookie, source ip and query parameter; terminal stops; nothing matching gives no hash', () => {
    const byHeader = compileHashPolicy([{ header: { header_name: 'x-user' } }])!;
    assert.equal(byHeader(input({ 'x-user': 'a' })), byHeader(input({ 'x-user': 'a' })));
    assert.notEqual(byHeader(input({ 'x-user': 'a' })), byHeader(input({ 'x-user': 'b' })));
    assert.equal(byHeader(input({})), undefined);
    const byCookie = compileHashPolicy([{ cookie: { name: 'sid' } }])!;
    assert.equal(byCookie(input({ cookie: 'a=1; sid=xyz' })), hashString('xyz'));
    assert.equal(compileHashPolicy([{ connection_properties: { source_ip: true } }])!(input({}, '10.9.9.9')), hashString('10.9.9.9'));
    assert.equal(compileHashPolicy([{ query_parameter: { name: 'u' } }])!(input({}, '', '/p?u=7')), hashString('7'));
    const terminal = compileHashPolicy([{ header: { header_name: 'x-a' }, terminal: true }, { header: { header_name: 'x-b' } }])!;
    assert.equal(terminal(input({ 'x-a': '1', 'x-b': '2' })), hashString('1'));
    assert.equal(compileHashPolicy([]), undefined);
  });
});

describe('RING_HASH over HTTP', () => {
  const closers: (() => void | Promise<void>)[] = [];
  after(async () => {
    for (const c of closers.reverse()) await c();
  });

  test('requests with the same x-user header stick to one upstream', async () => {
    const ports: number[] = [];
    for (const name of ['a', 'b', 'c']) {
      const server = http.createServer((_req, res) => res.end(name));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      closers.push(() => {
        server.closeAllConnections();
        server.close();
      });
      ports.push((server.address() as net.AddressInfo).port);
    }
    const p = await proxy({
      static_resources: {
        listeners: [{
          name: 'l', address: sa('127.0.0.1', 0),
          filter_chains: [{ filters: [{
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              stat_prefix: 'h',
              route_config: { virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'sticky', hash_policy: [{ header: { header_name: 'x-user' } }] } }] }] },
              http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
            },
          }] }],
        }],
        clusters: [staticCluster('sticky', ports, { lb_policy: 'RING_HASH', ring_hash_lb_config: { minimum_ring_size: 512 } })],
      },
    });
    closers.push(() => p.shutdown());
    const port = listenerPort(p, 'l');
    const get = (user: string) => new Promise<string>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/', headers: { 'x-user': user }, agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d));
        res.on('end', () => resolve(body));
      }).on('error', reject);
    });
    const users = Array.from({ length: 12 }, (_, i) => `user-${i}`);
    const first = await Promise.all(users.map(get));
    const second = await Promise.all(users.map(get));
    assert.deepEqual(second, first);
    assert.ok(new Set(first).size >= 2, `all users on ${[...new Set(first)]}`);
  });
});
