// A VirtualService's fault as discovery generates it: Istio's encoding field by field, then the
// generated route table served by the proxy to a real gRPC client, which must see the abort.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import * as grpc from '@grpc/grpc-js';
import { buildModel } from '../../src/discovery/model.js';
import { parseNodeId } from '../../src/discovery/proxy.js';
import { generateForProxy } from '../../src/discovery/generate/index.js';
import { faultConfig, fractionalPercent } from '../../src/discovery/generate/fault.js';
import { parseGoDuration, protoDuration } from '../../src/discovery/generate/duration.js';
import { grpcStatusCode } from '../../src/discovery/generate/grpc-status.js';
import { startProxy } from '../../src/proxy/index.js';
import type { ProxyServer } from '../../src/proxy/index.js';
import { seededRandom } from '../../src/proxy/load-balancers/index.js';

type Obj = Record<string, any>;
const here = path.dirname(fileURLToPath(import.meta.url));
const bookinfo = parseAllDocuments(readFileSync(path.join(here, 'fixtures', 'bookinfo.yaml'), 'utf8')).map((d) => d.toJS() as Obj);
const yaml = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as Obj);
const reviewsProxy = parseNodeId('sidecar~10.4.1.5~reviews-v1-545db77b95-jkgv2.default~default.svc.cluster.local');
const FAULT_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';

/** The generated route table for port 9080 with `http` as the ratings VirtualService's routes. */
function routes9080(http: string): Obj {
  const vs = yaml(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings, namespace: default}
spec:
  hosts: [ratings]
  http:
${http}`);
  return generateForProxy(buildModel([...bookinfo, ...vs]), reviewsProxy).routes.find((r: Obj) => r['name'] === '9080') as Obj;
}
const ratingsRoutes = (table: Obj): Obj[] => table['virtualHosts'].find((v: Obj) => v['name'] === 'ratings.default.svc.cluster.local:9080')['routes'];

describe('durations as Istio reads them', () => {
  test("Go's time.ParseDuration syntax becomes a proto3 JSON Duration", () => {
    const cases: [string, string | undefined][] = [
      ['5s', '5s'], ['100ms', '0.100s'], ['1m30s', '90s'], ['1.5s', '1.500s'], ['1h', '3600s'], ['2us', '0.000002s'], ['3µs', '0.000003s'],
      ['7ns', '0.000000007s'], ['0', '0s'], ['0.25s', '0.250s'], ['.5s', '0.500s'], ['1h2m3.004005006s', '3723.004005006s'],
      ['5', undefined], ['s', undefined], ['', undefined], ['1d', undefined], ['1.s', '1s'], ['1s 2s', undefined],
    ];
    for (const [input, expected] of cases) assert.equal(protoDuration(input), expected, input);
    assert.equal(parseGoDuration('-250ms'), -250_000_000n);
    assert.equal(protoDuration(5), undefined);
  });
});

describe('gRPC status names', () => {
  test('every name Istio accepts maps to its code; others are not codes', () => {
    assert.equal(grpcStatusCode('OK'), 0);
    assert.equal(grpcStatusCode('UNAVAILABLE'), 14);
    assert.equal(grpcStatusCode('UNAUTHENTICATED'), 16);
    assert.equal(grpcStatusCode('DEADLINE_EXCEEDED'), 4);
    assert.equal(grpcStatusCode('unavailable'), undefined);
    assert.equal(grpcStatusCode('14'), undefined);
    assert.equal(grpcStatusCode('toString'), undefined);
  });
});

describe('fault config (Istio encoding)', () => {
  test('grpcStatus becomes grpc_status by code, never an http_status', () => {
    assert.deepEqual(faultConfig({ abort: { grpcStatus: 'UNAVAILABLE', percentage: { value: 100 } } }), {
      '@type': FAULT_TYPE, abort: { grpcStatus: 14, percentage: { numerator: 1000000, denominator: 'MILLION' } },
    });
    assert.deepEqual(faultConfig({ abort: { grpcStatus: 'PERMISSION_DENIED', percentage: { value: 12.5 } } })!['abort'], { grpcStatus: 7, percentage: { numerator: 125000, denominator: 'MILLION' } });
  });

  test('httpStatus with a percentage; an abort without one has none (Envoy: 0 %)', () => {
    assert.deepEqual(faultConfig({ abort: { httpStatus: 503, percentage: { value: 10 } } })!['abort'], { httpStatus: 503, percentage: { numerator: 100000, denominator: 'MILLION' } });
    assert.deepEqual(faultConfig({ abort: { httpStatus: 500 } })!['abort'], { httpStatus: 500 });
  });

  test('fixedDelay as a proto Duration; percentage over MILLION, else the integer percent over HUNDRED, else 0', () => {
    assert.deepEqual(faultConfig({ delay: { fixedDelay: '100ms', percentage: { value: 50 } } })!['delay'], { fixedDelay: '0.100s', percentage: { numerator: 500000, denominator: 'MILLION' } });
    assert.deepEqual(faultConfig({ delay: { fixedDelay: '7s', percent: 5 } })!['delay'], { fixedDelay: '7s', percentage: { numerator: 5, denominator: 'HUNDRED' } });
    assert.deepEqual(faultConfig({ delay: { fixedDelay: '2s', percent: 5, percentage: { value: 1 } } })!['delay'], { fixedDelay: '2s', percentage: { numerator: 10000, denominator: 'MILLION' } });
    assert.deepEqual(faultConfig({ delay: { fixedDelay: '2s' } })!['delay'], { fixedDelay: '2s', percentage: { numerator: 0, denominator: 'HUNDRED' } });
  });

  test("percentages truncate as Istio's uint32(value * 10000) does", () => {
    assert.deepEqual(fractionalPercent({ value: 0.57 }), { numerator: 5699, denominator: 'MILLION' });
    assert.deepEqual(fractionalPercent({ value: 0.0001 }), { numerator: 1, denominator: 'MILLION' });
    assert.deepEqual(fractionalPercent({}), { numerator: 0, denominator: 'MILLION' });
  });

  test("what Envoy cannot do, or Istio's validation refuses, drops that half of the fault (or all of it)", () => {
    assert.deepEqual(faultConfig({ delay: { exponentialDelay: '1s', percent: 10 }, abort: { httpStatus: 418, percentage: { value: 1 } } }), {
      '@type': FAULT_TYPE, abort: { httpStatus: 418, percentage: { numerator: 10000, denominator: 'MILLION' } },
    });
    assert.equal(faultConfig({ abort: { grpcStatus: 'NOT_A_STATUS', percentage: { value: 1 } } }), undefined);
    assert.equal(faultConfig({ abort: { http2Error: 'REFUSED_STREAM' } }), undefined);
    assert.equal(faultConfig({ abort: { httpStatus: 700 } }), undefined);
    assert.equal(faultConfig({ delay: { fixedDelay: '0s', percent: 100 } }), undefined);
    assert.equal(faultConfig({ delay: { fixedDelay: 'soon', percent: 100 } }), undefined);
    assert.equal(faultConfig({}), undefined);
  });

  test('in the generated routes: a per-route fault config, none when nothing applies', () => {
    const table = routes9080(`  - match: [{headers: {end-user: {exact: jason}}}]
    fault: {abort: {grpcStatus: UNAVAILABLE, percentage: {value: 100}}, delay: {fixedDelay: 250ms, percentage: {value: 50}}}
    route: [{destination: {host: ratings}}]
  - fault: {abort: {http2Error: REFUSED_STREAM}}
    route: [{destination: {host: ratings}}]
`);
    const [first, second] = ratingsRoutes(table);
    assert.deepEqual(first!['typedPerFilterConfig'], {
      'envoy.filters.http.fault': {
        '@type': FAULT_TYPE,
        delay: { fixedDelay: '0.250s', percentage: { numerator: 500000, denominator: 'MILLION' } },
        abort: { grpcStatus: 14, percentage: { numerator: 1000000, denominator: 'MILLION' } },
      },
    });
    assert.equal(second!['typedPerFilterConfig'], undefined);
  });
});

describe('a grpcStatus abort reaches a gRPC client through the proxy', () => {
  let p: ProxyServer | undefined;
  after(async () => {
    await p?.shutdown();
  });

  test('the generated route table, served by the proxy, fails the call with UNAVAILABLE', async () => {
    const table = routes9080(`  - fault: {abort: {grpcStatus: UNAVAILABLE, percentage: {value: 100}}}
    route: [{destination: {host: ratings}}]
`);
    p = await startProxy({
      random: seededRandom(1),
      logLevel: 'off',
      bootstrap: {
        static_resources: {
          listeners: [{
            name: 'outbound', address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
            filter_chains: [{ filters: [{
              name: 'envoy.filters.network.http_connection_manager',
              typed_config: {
                '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                stat_prefix: 'outbound_9080', codec_type: 'AUTO',
                route_config: table,
                http_filters: [
                  { name: 'envoy.filters.http.fault', typed_config: { '@type': FAULT_TYPE } },
                  { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
                ],
              },
            }] }],
          }],
        },
      },
    });
    const port = p.listenerManager.get('outbound')!.boundPort;
    // The client names the service as an app in the mesh would; the fault answers before any upstream.
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': 'ratings:9080' });
    try {
      const error = await new Promise<grpc.ServiceError>((resolve, reject) => {
        client.makeUnaryRequest('/ratings.Ratings/Get', (b: Buffer) => b, (b: Buffer) => b, Buffer.from('x'), (err, value) => (err ? resolve(err) : reject(new Error(`call succeeded: ${String(value)}`))));
      });
      assert.equal(error.code, grpc.status.UNAVAILABLE);
      assert.equal(error.details, 'fault filter abort');
    } finally {
      client.close();
    }
  });
});
