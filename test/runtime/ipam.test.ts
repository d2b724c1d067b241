import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Allocator, cidrsOverlap, IpamError, parseCidr, rangeConflicts } from '../../src/runtime/ipam.js';

describe('parseCidr', () => {
  for (const [input, text] of [
    ['10.244.0.0/16', '10.244.0.0/16'],
    ['10.244.3.7/16', '10.244.0.0/16'],
    ['192.168.1.1/32', '192.168.1.1/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
  ] as const) {
    test(input, () => assert.equal(parseCidr(input).text, text));
  }
  for (const bad of ['10.244.0.0', '10.244.0.0/33', '10.256.0.0/16', 'x/8', '10.0.0.0/16/1', 'fd00::/64']) {
    test(`rejects ${bad}`, () => assert.throws(() => parseCidr(bad), IpamError));
  }
});

describe('Allocator', () => {
  test('hands out addresses in order after the offset, skipping reserved ones', () => {
    const a = new Allocator(parseCidr('10.96.0.0/16'), 'service', 1);
    a.reserve('10.96.0.2');
    assert.deepEqual([a.allocate(), a.allocate(), a.allocate()], ['10.96.0.1', '10.96.0.3', '10.96.0.4']);
  });
  test('crosses octets', () => {
    const a = new Allocator(parseCidr('10.244.0.0/16'), 'pod', 255);
    assert.deepEqual([a.allocate(), a.allocate()], ['10.244.0.255', '10.244.1.0']);
  });
  test('is exhausted without the broadcast address', () => {
    const a = new Allocator(parseCidr('10.0.0.0/30'), 'pod', 1);
    assert.deepEqual([a.allocate(), a.allocate()], ['10.0.0.1', '10.0.0.2']);
    assert.throws(() => a.allocate(), /the pod range 10.0.0.0\/30 is exhausted/);
  });
  test('continues after the last address handed out, wrapping round to free ones, and only then is exhausted', () => {
    const a = new Allocator(parseCidr('10.0.0.0/29'), 'pod', 1);
    a.reserve('10.0.0.1');
    a.reserve('10.0.0.5');
    a.continueAfter('10.0.0.5');
    // .2 to .4 are free again, but addresses never used come first.
    assert.deepEqual([a.allocate(), a.allocate(), a.allocate(), a.allocate()], ['10.0.0.6', '10.0.0.2', '10.0.0.3', '10.0.0.4']);
    assert.throws(() => a.allocate(), /the pod range 10.0.0.0\/29 is exhausted/);
  });
  test('refuses reservations outside the range or twice', () => {
    const a = new Allocator(parseCidr('10.96.0.0/16'), 'service', 1);
    assert.throws(() => a.reserve('10.97.0.1'), /outside the service range/);
    a.reserve('10.96.0.9');
    assert.throws(() => a.reserve('10.96.0.9'), /already allocated/);
  });
});

describe('rangeConflicts', () => {
  const ranges = [
    { name: 'pod', cidr: parseCidr('10.244.0.0/16') },
    { name: 'service', cidr: parseCidr('10.96.0.0/16') },
  ];
  const cases: { name: string; host: { cidr: string; where: string }[]; expect: RegExp[] }[] = [
    { name: 'a free machine', host: [{ cidr: '192.0.2.2/24', where: 'address of eth0' }, { cidr: 'default', where: 'route via 192.0.2.1' }], expect: [] },
    { name: 'an address inside the pod range', host: [{ cidr: '10.244.9.1/24', where: 'address of cni0' }], expect: [/pod range 10.244.0.0\/16 is already in use on this machine \(10.244.9.1\/24, address of cni0\); choose another with --pod-cidr/] },
    { name: 'a route covering the service range', host: [{ cidr: '10.0.0.0/8', where: 'route dev wg0' }], expect: [/pod range/, /service range/] },
    { name: 'a host address (/32)', host: [{ cidr: '10.96.0.10', where: 'address of lo' }], expect: [/service range/] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const problems = rangeConflicts(ranges, c.host);
      assert.equal(problems.length, c.expect.length, problems.join('\n'));
      c.expect.forEach((re, i) => assert.match(problems[i]!, re));
    });
  }
  test('the two ranges overlapping each other', () => {
    assert.match(rangeConflicts([{ name: 'pod', cidr: parseCidr('10.0.0.0/8') }, { name: 'service', cidr: parseCidr('10.96.0.0/16') }], [])[0]!, /pod range 10.0.0.0\/8 overlaps the service range/);
    assert.equal(cidrsOverlap(parseCidr('10.0.0.0/24'), parseCidr('10.0.1.0/24')), false);
  });
});
