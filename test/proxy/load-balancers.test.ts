// Load-balancing decisions with seeded randomness, and host selection by priority and health.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LeastRequestLoadBalancer, RandomLoadBalancer, RoundRobinLoadBalancer, seededRandom } from '../../src/proxy/load-balancers/index.js';
import { Host } from '../../src/proxy/upstream/host.js';
import { selectableHosts } from '../../src/proxy/upstream/host-selection.js';
import { pickWeighted } from '../../src/proxy/network-filters/weighted-choice.js';

const hosts = (...weights: number[]) => weights.map((w, i) => new Host(`10.0.0.${i + 1}`, 80, w));

function counts(pick: () => Host, n: number): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const h = pick();
    out.set(h.address, (out.get(h.address) ?? 0) + 1);
  }
  return out;
}

describe('ROUND_ROBIN', () => {
  test('equal weights rotate in order from a random start', () => {
    const hs = hosts(1, 1, 1);
    const lb = new RoundRobinLoadBalancer({ random: seededRandom(7) });
    const seq = Array.from({ length: 6 }, () => lb.choose(hs).address);
    assert.deepEqual(seq.slice(3), seq.slice(0, 3));
    assert.equal(new Set(seq.slice(0, 3)).size, 3);
  });

  test('weights 5:1:1 give exactly 5:1:1 per cycle, spread out', () => {
    const hs = hosts(5, 1, 1);
    const lb = new RoundRobinLoadBalancer({ random: seededRandom(1) });
    const seq = Array.from({ length: 7 }, () => lb.choose(hs).address);
    assert.deepEqual(seq, ['10.0.0.1', '10.0.0.1', '10.0.0.2', '10.0.0.1', '10.0.0.3', '10.0.0.1', '10.0.0.1']);
  });
});

describe('LEAST_REQUEST', () => {
  test('never picks the busier of two hosts when choice_count covers both often', () => {
    const hs = hosts(1, 1);
    hs[0]!.activeRequests = 10;
    const lb = new LeastRequestLoadBalancer({ random: seededRandom(3), choiceCount: 8 });
    const c = counts(() => lb.choose(hs), 200);
    assert.ok((c.get('10.0.0.2') ?? 0) >= 199, JSON.stringify([...c]));
  });

  test('equal load spreads across hosts', () => {
    const hs = hosts(1, 1, 1, 1);
    const lb = new LeastRequestLoadBalancer({ random: seededRandom(5) });
    const c = counts(() => lb.choose(hs), 4000);
    for (const h of hs) assert.ok(Math.abs((c.get(h.address) ?? 0) - 1000) < 150, JSON.stringify([...c]));
  });
});

describe('RANDOM', () => {
  test('follows weights within tolerance and is reproducible with a seed', () => {
    const hs = hosts(3, 1);
    const a = counts(() => new RandomLoadBalancer({ random: seededRandom(9) }).choose(hs), 1);
    const b = counts(() => new RandomLoadBalancer({ random: seededRandom(9) }).choose(hs), 1);
    assert.deepEqual(a, b);
    const lb = new RandomLoadBalancer({ random: seededRandom(11) });
    const c = counts(() => lb.choose(hs), 4000);
    assert.ok(Math.abs((c.get('10.0.0.1') ?? 0) - 3000) < 150, JSON.stringify([...c]));
  });
});

describe('host selection', () => {
  const h = (address: string, health: Host['health'], priority = 0) => new Host(address, 80, 1, health, priority);
  const table: { name: string; hosts: Host[]; expect: string[]; panic: boolean }[] = [
    { name: 'unhealthy hosts are skipped', hosts: [h('a', 'HEALTHY'), h('b', 'UNHEALTHY'), h('c', 'UNKNOWN')], expect: ['a', 'c'], panic: false },
    { name: 'below 50% healthy: panic, use all', hosts: [h('a', 'HEALTHY'), h('b', 'UNHEALTHY'), h('c', 'DRAINING')], expect: ['a', 'b', 'c'], panic: true },
    { name: 'priority 0 first', hosts: [h('a', 'HEALTHY', 1), h('b', 'HEALTHY', 0)], expect: ['b'], panic: false },
    { name: 'fail over to priority 1 when priority 0 is all unhealthy', hosts: [h('a', 'UNHEALTHY', 0), h('b', 'HEALTHY', 1)], expect: ['b'], panic: false },
    { name: 'nobody healthy: panic on priority 0', hosts: [h('a', 'UNHEALTHY', 0), h('b', 'UNHEALTHY', 1)], expect: ['a'], panic: true },
    { name: 'no hosts', hosts: [], expect: [], panic: false },
  ];
  for (const c of table) {
    test(c.name, () => {
      const s = selectableHosts(c.hosts);
      assert.deepEqual(s.hosts.map((x) => x.address), c.expect);
      assert.equal(s.panic, c.panic);
    });
  }
});

describe('weighted choice', () => {
  const items = [{ name: 'a', weight: 1 }, { name: 'b', weight: 0 }, { name: 'c', weight: 3 }];
  const table: [number, string | undefined][] = [[0, 'a'], [0.24, 'a'], [0.25, 'c'], [0.999, 'c']];
  for (const [r, expect] of table) test(`random ${r} → ${expect}`, () => assert.equal(pickWeighted(items, r)?.name, expect));
  test('all zero weights → none', () => assert.equal(pickWeighted([{ name: 'a', weight: 0 }], 0.5), undefined));
});
