// Access logs: format strings as a table, then real lines from HTTP and TCP traffic.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { compileJsonFormat, compileTextFormat, DEFAULT_FORMAT } from '../../src/proxy/access-log/format.js';
import type { AccessLogInfo } from '../../src/proxy/access-log/access-log-info.js';
import { ConfigError } from '../../src/proxy/index.js';
import { closedWithoutData, eventually, httpGet, listenerPort, proxy, sa, staticCluster, tcpProxyFilter, unusedPort } from './helpers.js';

const info: AccessLogInfo = {
  startTime: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
  durationMs: 12.4,
  protocol: 'HTTP/1.1',
  responseCode: 503,
  responseFlags: new Set(['URX', 'UF']),
  responseCodeDetails: 'upstream_reset_before_response_started{connection_failure}',
  bytesReceived: 10,
  bytesSent: 91,
  requestHeader: (n) => ({ ':method': 'GET', ':path': '/productpage', ':authority': 'productpage:9080', 'x-request-id': 'abc', 'user-agent': 'curl/8' } as Record<string, string>)[n],
  responseHeader: () => undefined,
  upstreamHost: '10.0.0.7:9080',
  upstreamCluster: 'outbound|9080||productpage.default.svc.cluster.local',
  downstreamLocalAddress: '10.0.0.5:9080',
  downstreamRemoteAddress: '10.0.0.9:51234',
  downstreamDirectRemoteAddress: '10.0.0.9:51234',
};

describe('access log formats', () => {
  const table: [string, string][] = [
    [DEFAULT_FORMAT, '[2026-01-02T03:04:05.678Z] "GET /productpage HTTP/1.1" 503 UF,URX 10 91 12 - "-" "curl/8" "abc" "productpage:9080" "10.0.0.7:9080"\n'],
    ['%UPSTREAM_CLUSTER% %DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% %REQ(:PATH):5%', 'outbound|9080||productpage.default.svc.cluster.local 10.0.0.9 /prod'],
    ['%RESPONSE_CODE_DETAILS% %ROUTE_NAME%', 'upstream_reset_before_response_started{connection_failure} -'],
    ['%REQ(X-MISSING?X-REQUEST-ID)%', 'abc'],
  ];
  for (const [format, expect] of table) test(JSON.stringify(format).slice(0, 60), () => assert.equal(compileTextFormat(format, 'f')(info), expect));

  test('JSON format keeps numbers as numbers and missing values as null', () => {
    const line = compileJsonFormat({ code: '%RESPONSE_CODE%', route: '%ROUTE_NAME%', path: 'path=%REQ(:PATH)%', fixed: 1 }, 'f')(info);
    assert.deepEqual(JSON.parse(line), { code: 503, route: null, path: 'path=/productpage', fixed: 1 });
  });

  test('unknown commands are config errors', () => {
    assert.throws(() => compileTextFormat('%NOPE%', 'access_log[0]'), (e: unknown) => e instanceof ConfigError && e.message === 'access_log[0]: access log format command %NOPE% is not supported by the outrigger proxy');
  });
});

describe('access log lines from traffic', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'outrigger-access-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('HTTP requests and refused TCP connections are logged with Envoy\'s response flags', async () => {
    const upstream = http.createServer((_req, res) => res.end('hello'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    const up = (upstream.address() as net.AddressInfo).port;
    const dead = await unusedPort();
    const httpLog = path.join(dir, 'http.log');
    const tcpLog = path.join(dir, 'tcp.log');
    const fileLog = (file: string, format?: Record<string, unknown>) => [{
      name: 'envoy.access_loggers.file',
      typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog', path: file, ...(format ? { log_format: format } : {}) },
    }];
    const p = await proxy({
      static_resources: {
        listeners: [
          {
            name: 'http', address: sa('127.0.0.1', 0),
            filter_chains: [{ filters: [{
              name: 'envoy.filters.network.http_connection_manager',
              typed_config: {
                '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                stat_prefix: 'h', access_log: fileLog(httpLog),
                route_config: { virtual_hosts: [{ name: 'all', domains: ['*'], routes: [
                  { match: { prefix: '/dead' }, route: { cluster: 'dead' } },
                  { name: 'default', match: { prefix: '/' }, route: { cluster: 'up' } },
                ] }] },
                http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
              },
            }] }],
          },
          { name: 'tcp', address: sa('127.0.0.1', 0), filter_chains: [{ filters: [tcpProxyFilter('dead', { access_log: fileLog(tcpLog, { json_format: { flags: '%RESPONSE_FLAGS%', cluster: '%UPSTREAM_CLUSTER%', host: '%UPSTREAM_HOST%', sent: '%BYTES_SENT%' } }) })] }] },
        ],
        clusters: [staticCluster('up', [up]), staticCluster('dead', [dead])],
      },
    });
    try {
      await httpGet(listenerPort(p, 'http'), '/ok');
      await httpGet(listenerPort(p, 'http'), '/dead');
      await closedWithoutData(listenerPort(p, 'tcp'));
      await eventually(() => {
        try {
          return readFileSync(httpLog, 'utf8').split('\n').length >= 3 && readFileSync(tcpLog, 'utf8').length > 0;
        } catch {
          return false;
        }
      });
      const [ok, failed] = readFileSync(httpLog, 'utf8').trim().split('\n');
      assert.match(ok!, new RegExp(`^\\[\\d{4}-\\d\\d-\\d\\dT[^\\]]+\\] "GET /ok HTTP/1.1" 200 - 0 5 \\d+ \\d+ "-" "-" "[0-9a-f-]{36}" "127.0.0.1:\\d+" "127.0.0.1:${up}"$`));
      assert.match(failed!, new RegExp(`"GET /dead HTTP/1.1" 503 UF 0 91 \\d+ - "-" "-" "[0-9a-f-]{36}" "127.0.0.1:\\d+" "127.0.0.1:${dead}"$`));
      assert.deepEqual(JSON.parse(readFileSync(tcpLog, 'utf8')), { flags: 'UF', cluster: 'dead', host: `127.0.0.1:${dead}`, sent: 0 });
    } finally {
      await p.shutdown();
      upstream.close();
    }
  });
});
