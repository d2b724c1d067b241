// Every resource discovery generates survives Any packing and unpacking.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { buildModel } from '../../src/discovery/model.js';
import { parseNodeId } from '../../src/discovery/proxy.js';
import { generateForProxy, TypeUrl } from '../../src/discovery/generate/index.js';
import { CodecError, packAny, unpackAny } from '../../src/xds/codec.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const objects = parseAllDocuments(readFileSync(path.join(here, '..', 'discovery', 'fixtures', 'bookinfo.yaml'), 'utf8')).map((d) => d.toJS() as Record<string, unknown>);

/** camelCase → snake_case, recursively, except inside maps keyed by user data. */
function snake(value: unknown, parentKey = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => snake(v, parentKey));
  if (value === null || typeof value !== 'object') return value;
  const userKeyed = parentKey === 'filterMetadata' || parentKey === 'typedExtensionProtocolOptions' || parentKey === 'typedPerFilterConfig' || parentKey === 'istio';
  return Object.fromEntries(Object.entries(value).map(([k, v]) => {
    const key = userKeyed || k === '@type' ? k : k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    return [key, snake(v, k)];
  }));
}

describe('proto3 JSON ⇄ Any', () => {
  const resources = generateForProxy(buildModel(objects), parseNodeId('sidecar~10.4.1.5~reviews-v1-545db77b95-jkgv2.default~default.svc.cluster.local'));
  const cases: [string, string, Record<string, unknown>[]][] = [
    ['listeners', TypeUrl.Listener, resources.listeners],
    ['clusters', TypeUrl.Cluster, resources.clusters],
    ['routes', TypeUrl.RouteConfiguration, resources.routes],
    ['endpoints', TypeUrl.ClusterLoadAssignment, resources.endpoints],
  ];
  for (const [name, typeUrl, list] of cases) {
    test(`${name}: packed and unpacked, the same resource (snake_case names)`, () => {
      assert.ok(list.length > 0);
      for (const resource of list) {
        const any = packAny(typeUrl, resource);
        assert.equal(any.type_url, typeUrl);
        const back = unpackAny(any);
        const { '@type': type, ...fields } = back;
        assert.equal(type, typeUrl);
        assert.deepEqual(fields, snake(resource));
      }
    });
  }

  test('Durations, wrappers, Struct and nested Any are converted', () => {
    const cluster = { name: 'c', connectTimeout: '1.500s', perConnectionBufferLimitBytes: 1024, metadata: { filterMetadata: { istio: { a: [1, 'x', true, null] } } } };
    assert.deepEqual(unpackAny(packAny(TypeUrl.Cluster, cluster)), { '@type': TypeUrl.Cluster, name: 'c', connect_timeout: '1.500s', per_connection_buffer_limit_bytes: 1024, metadata: { filter_metadata: { istio: { a: [1, 'x', true, null] } } } });
  });

  test('unknown fields and bad values are errors naming the path', () => {
    assert.throws(() => packAny(TypeUrl.Cluster, { name: 'c', bogus: 1 }), (e: Error) => e instanceof CodecError && /bogus: no such field in envoy\.config\.cluster\.v3\.Cluster/.test(e.message));
    assert.throws(() => packAny(TypeUrl.Cluster, { name: 'c', connectTimeout: 'ten' }), /connectTimeout: invalid duration "ten"/);
    assert.throws(() => packAny('type.googleapis.com/nope.Nope', {}), /unknown type/);
  });
});
