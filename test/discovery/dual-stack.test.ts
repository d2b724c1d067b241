// Istio's dual-stack shapes for a proxy with an IPv6 address (node id or
// INSTANCE_IPS): wildcard listeners also on "::", per-family passthrough on
// virtualInbound, inbound clusters that reach the app from ::6. An IPv4-only
// proxy gets none of it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { buildModel } from '../../src/discovery/model.js';
import { isDualStack, parseNodeId } from '../../src/discovery/proxy.js';
import { generateForProxy } from '../../src/discovery/generate/index.js';

type Obj = Record<string, any>;
const here = path.dirname(fileURLToPath(import.meta.url));
const bookinfo = parseAllDocuments(readFileSync(path.join(here, 'fixtures', 'bookinfo.yaml'), 'utf8')).map((d) => d.toJS() as Obj);
const NODE = 'sidecar~10.4.1.5~reviews-v1-545db77b95-jkgv2.default~default.svc.cluster.local';
const v4 = parseNodeId(NODE);
const dual = parseNodeId(NODE, { INSTANCE_IPS: '10.4.1.5,fd00:4:1::5' });
const byName = (list: Obj[], name: string) => list.find((r) => r['name'] === name)!;
const any6 = (port: number) => [{ address: { socketAddress: { address: '::', portValue: port } } }];

describe('node IPs', () => {
  test('INSTANCE_IPS (a comma-separated string, as the agent writes it) replaces the node id\'s IP; an IPv6 address makes the proxy dual stack', () => {
    assert.deepEqual(dual.ipAddresses, ['10.4.1.5', 'fd00:4:1::5']);
    assert.deepEqual(parseNodeId(NODE, { INSTANCE_IPS: '10.4.1.5' }).ipAddresses, ['10.4.1.5']);
    assert.deepEqual(parseNodeId(NODE, { INSTANCE_IPS: '' }).ipAddresses, ['10.4.1.5']);
    assert.deepEqual(parseNodeId('sidecar~10.4.1.5,fd00::5~a.default~default.svc.cluster.local').ipAddresses, ['10.4.1.5', 'fd00::5']);
    assert.equal(isDualStack(v4), false);
    assert.equal(isDualStack(dual), true);
  });
});

describe('a dual-stack proxy', () => {
  const model = buildModel(bookinfo);
  const r = generateForProxy(model, dual);

  test('virtualOutbound, virtualInbound and 0.0.0.0_9080 are on 0.0.0.0 with the additional address "::"', () => {
    for (const [name, port] of [['virtualOutbound', 15001], ['virtualInbound', 15006], ['0.0.0.0_9080', 9080]] as const) {
      const l = byName(r.listeners, name);
      assert.deepEqual(l['address'], { socketAddress: { address: '0.0.0.0', portValue: port } }, name);
      assert.deepEqual(l['additionalAddresses'], any6(port), name);
    }
    // A TCP service's VIP listener is an exact address: nothing to add.
    assert.equal(byName(r.listeners, '10.8.0.30_3306')['additionalAddresses'], undefined);
  });

  test('virtualInbound passes ::/0 to InboundPassthroughClusterIpv6 (bound to ::6) and 0.0.0.0/0 to Ipv4', () => {
    const chains = byName(r.listeners, 'virtualInbound')['filterChains'] as Obj[];
    const passthrough = chains.filter((c) => c['filterChainMatch']?.['prefixRanges']).map((c) => [c['filterChainMatch']['prefixRanges'], c['filters'][0]['typedConfig']['cluster']]);
    assert.deepEqual(passthrough, [
      [[{ addressPrefix: '0.0.0.0', prefixLen: 0 }], 'InboundPassthroughClusterIpv4'],
      [[{ addressPrefix: '::', prefixLen: 0 }], 'InboundPassthroughClusterIpv6'],
    ]);
    assert.deepEqual(byName(r.clusters, 'InboundPassthroughClusterIpv6')['upstreamBindConfig'], { sourceAddress: { address: '::6', portValue: 0 } });
  });

  test('inbound|9080|| reaches the app from 127.0.0.6 or ::6, by the family of the destination', () => {
    assert.deepEqual(byName(r.clusters, 'inbound|9080||')['upstreamBindConfig'], {
      sourceAddress: { address: '127.0.0.6', portValue: 0 },
      extraSourceAddresses: [{ address: { address: '::6', portValue: 0 } }],
    });
  });

  test('an IPv4-only proxy gets none of it', () => {
    const plain = generateForProxy(model, v4);
    for (const l of plain.listeners) assert.equal(l['additionalAddresses'], undefined, l['name']);
    assert.deepEqual(byName(plain.clusters, 'inbound|9080||')['upstreamBindConfig'], { sourceAddress: { address: '127.0.0.6', portValue: 0 } });
    // Apart from those fields the two are the same.
    const strip = (x: unknown) => JSON.parse(JSON.stringify(x, (k, v) => (k === 'additionalAddresses' || k === 'extraSourceAddresses' ? undefined : v)));
    assert.deepEqual(strip(r.listeners), strip(plain.listeners));
    assert.deepEqual(strip(r.clusters), strip(plain.clusters));
  });
});
