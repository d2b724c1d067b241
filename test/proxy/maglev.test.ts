// MAGLEV: the table's properties as pure checks, then the same properties over real HTTP:
// a key sticks to its host, keys spread by weight, and a host leaving moves few other keys.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { MaglevLoadBalancer, buildMaglevTable, hashString, isPrime, seededRandom } from '../../src/proxy/load-balancers/index.js';
import { Host } from '../../src/proxy/upstream/host.js';
import { decodeResourceJson } from '../../src/proxy/index.js';
import { createCluster } from '../../src/proxy/upstream/cluster.js';
import { StatsStore } from '../../src/proxy/stats.js';
import { listenerPort, proxy, sa } from './helpers.js';

const hosts = (n: number, weight = 1) => Array.from({ length: n }, (_, i) => new Host(`10.0.0.${i + 1}`, 80, weight));
const keys = (n: number) => Array.from({ length: n }, (_, i) => hashString(`key-${i}`));
const share = (picks: Host[], host: Host) => picks.filter((h) => h === host).length / picks.length;

describe('MAGLEV table', () => {
  test('every slot is owned, and equal hosts own nearly equal shares', () => {
    const hs = hosts(5);
    const table = buildMaglevTable(hs, 65537);
    const counts = new Array(5).fill(0) as number[];
    for (const i of table.slots) counts[i]!++;
    assert.equal(counts.reduce((a, b) => a + b), 65537);
    // Maglev's turn-taking gives each host its share to within one slot.
    for (const c of counts) assert.ok(Math.abs(c - 65537 / 5) <= 1, `counts ${counts}`);
  });

  test('weights set the share of slots', () => {
    const hs = [new Host('10.0.0.1', 80, 1), new Host('10.0.0.2', 80, 1), new Host('10.0.0.3', 80, 2)];
    const table = buildMaglevTable(hs, 65537);
    const counts = [0, 0, 0];
    for (const i of table.slots) counts[i]!++;
    assert.ok(Math.abs(counts[2]! / 65537 - 0.5) < 0.01, `counts ${counts}`);
    assert.ok(Math.abs(counts[0]! / 65537 - 0.25) < 0.01, `counts ${counts}`);
  });

  test('the same key always lands on the same host', () => {
    const lb = new MaglevLoadBalancer({ random: seededRandom(1) });
    const hs = hosts(5);
    for (const key of ['a', 'user-42', 'session=xyz']) {
      const first = lb.choose(hs, { hash: hashString(key) });
      for (let i = 0; i < 10; i++) assert.equal(lb.choose(hs, { hash: hashString(key) }), first);
    }
    // A new balancer over equal hosts agrees: the table depends only on the hosts.
    const other = new MaglevLoadBalancer({ random: seededRandom(9) });
    const again = hosts(5);
    for (const k of keys(200)) assert.equal(other.choose(again, { hash: k }).key, lb.choose(hs, { hash: k }).key);
  });

  test('removing one of five hosts moves its keys and leaves most others in place', () => {
    const lb = new MaglevLoadBalancer({ random: seededRandom(1) });
    const five = hosts(5);
    const four = five.slice(0, 4);
    const ks = keys(5000);
    const before = ks.map((k) => lb.choose(five, { hash: k }));
    const after = ks.map((k) => lb.choose(four, { hash: k }));
    const ownedByRemoved = before.filter((h) => h === five[4]).length;
    assert.ok(ownedByRemoved > 800 && ownedByRemoved < 1200, `removed host owned ${ownedByRemoved}`);
    for (let i = 0; i < ks.length; i++) assert.notEqual(after[i], five[4]);
    const others = ks.filter((_, i) => before[i] !== five[4]).length;
    const movedOthers = ks.filter((_, i) => before[i] !== five[4] && before[i] !== after[i]).length;
    // Maglev promises minimal, not zero, disruption: a few percent of the other keys move.
    assert.ok(movedOthers / others < 0.1, `${movedOthers} of ${others} other keys moved`);
  });

  test('a table that is rebuilt for new hosts follows them; the old set comes back to the same table', () => {
    const lb = new MaglevLoadBalancer({ random: seededRandom(1), maglevTableSize: 251 });
    const three = hosts(3);
    const two = three.slice(0, 2);
    const k = hashString('x');
    const withThree = lb.choose(three, { hash: k });
    assert.ok(two.includes(lb.choose(two, { hash: k })));
    assert.equal(lb.choose(three, { hash: k }), withThree);
  });

  test('without a hash the pick is random but weighted', () => {
    const lb = new MaglevLoadBalancer({ random: seededRandom(3) });
    const hs = [new Host('10.0.0.1', 80, 1), new Host('10.0.0.2', 80, 3)];
    const picks = Array.from({ length: 4000 }, () => lb.choose(hs));
    assert.ok(Math.abs(share(picks, hs[1]!) - 0.75) < 0.05, `heavy share ${share(picks, hs[1]!)}`);
  });

  test('table_size must be a prime of at most 5000011', () => {
    assert.ok(isPrime(65537) && isPrime(251) && isPrime(5000011) && !isPrime(65536) && !isPrime(1) && !isPrime(0));
    assert.throws(() => new MaglevLoadBalancer({ random: Math.random, maglevTableSize: 1000 }), /1000 is not a prime number/);
    assert.throws(() => new MaglevLoadBalancer({ random: Math.random, maglevTableSize: 5000101 }), /over the maximum/);
  });

  test('a MAGLEV cluster is built from its config; a non-prime table_size is refused naming the field', () => {
    const cluster = (extra: Record<string, unknown>) => decodeResourceJson('type.googleapis.com/envoy.config.cluster.v3.Cluster', {
      name: 'm', type: 'STATIC', lb_policy: 'MAGLEV',
      load_assignment: { cluster_name: 'm', endpoints: [{ lb_endpoints: [{ endpoint: { address: sa('127.0.0.1', 8080) } }] }] },
      ...extra,
    });
    const context = { stats: new StatsStore(), random: seededRandom(1) };
    const built = createCluster(cluster({ maglev_lb_config: { table_size: '251' } }) as never, context, 'Cluster("m")');
    assert.equal(built.chooseHost({ hash: 7 })?.key, '127.0.0.1:8080');
    assert.throws(() => createCluster(cluster({ maglev_lb_config: { table_size: '256' } }) as never, context, 'Cluster("m")'), /Cluster\("m"\)\.maglev_lb_config\.table_size: 256 is not a prime/);
  });
});

describe('MAGLEV over HTTP', () => {
  const closers: (() => void | Promise<void>)[] = [];
  after(async () => {
    for (const c of closers.reverse()) await c();
  });

  async function upstream(name: string): Promise<number> {
    const server = http.createServer((_req, res) => res.end(name));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    closers.push(() => {
      server.closeAllConnections();
      server.close();
    });
    return (server.address() as net.AddressInfo).port;
  }

  const maglevCluster = (endpoints: { port: number; weight: number }[]) => ({
    name: 'sticky', type: 'STATIC' as const, connect_timeout: '1s', lb_policy: 'MAGLEV' as const,
    load_assignment: { cluster_name: 'sticky', endpoints: [{ lb_endpoints: endpoints.map((e) => ({ endpoint: { address: sa('127.0.0.1', e.port) }, load_balancing_weight: e.weight })) }] },
  });

  test('same key → same host, keys spread by weight, and a host leaving moves few other keys', async () => {
    const names = ['a', 'b', 'c'];
    const ports = await Promise.all(names.map(upstream));
    // c weighs as much as a and b together.
    const weights = [1, 1, 2];
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
        clusters: [{ ...maglevCluster(ports.map((port, i) => ({ port, weight: weights[i]! }))), maglev_lb_config: { table_size: 65537 } }],
      },
    });
    closers.push(() => p.shutdown());
    const port = listenerPort(p, 'l');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    closers.push(() => agent.destroy());
    const get = (user: string) => new Promise<string>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/', headers: { 'x-user': user }, agent }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d));
        res.on('end', () => resolve(body));
      }).on('error', reject);
    });
    const users = Array.from({ length: 400 }, (_, i) => `user-${i}`);
    const first = await Promise.all(users.map(get));
    const second = await Promise.all(users.map(get));
    assert.deepEqual(second, first, 'every user kept its host');
    const count = (picks: string[], name: string) => picks.filter((n) => n === name).length;
    assert.ok(Math.abs(count(first, 'c') / users.length - 0.5) < 0.1, `c served ${count(first, 'c')} of ${users.length}`);
    assert.ok(Math.abs(count(first, 'a') / users.length - 0.25) < 0.1, `a served ${count(first, 'a')} of ${users.length}`);

    // Host a leaves (a new cluster version without it): a's users go elsewhere, most others stay.
    await p.clusterManager.addOrUpdate(maglevCluster([{ port: ports[1]!, weight: 1 }, { port: ports[2]!, weight: 2 }]), '2');
    const third = await Promise.all(users.map(get));
    assert.equal(count(third, 'a'), 0);
    const stayed = users.filter((_, i) => first[i] !== 'a');
    const moved = users.filter((_, i) => first[i] !== 'a' && first[i] !== third[i]);
    assert.ok(moved.length / stayed.length < 0.15, `${moved.length} of ${stayed.length} users not on a moved`);
  });
});
