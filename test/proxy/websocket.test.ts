// WebSocket (HTTP/1.1 Upgrade) through the proxy on real sockets: the RFC 6455
// handshake and masked frames written by hand, through one proxy and through a
// pair (client → outbound proxy → inbound proxy → server, as between two
// sidecars). Echo both ways, half-close and close from either side, Envoy's 403
// for an upgrade the route does not allow, a non-101 answer passed through,
// resets mid-tunnel, stats and the access log line written when the tunnel closes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, decodeResourceJson, typeUrls } from '../../src/proxy/index.js';
import type { ProxyServer } from '../../src/proxy/index.js';
import { compileUpgradeConfigs, upgradeAllowed } from '../../src/proxy/http/upgrade-config.js';
import { eventually, listenerPort, proxy, sa, stat, staticCluster } from './helpers.js';
import { connectionManager, send } from './http-peers.js';
import { OP_CLOSE, OP_TEXT, openWebSocket, rawExchange, webSocketServer } from './websocket-peers.js';
import type { WebSocketClient, WebSocketServer } from './websocket-peers.js';

const WEBSOCKET = [{ upgrade_type: 'websocket' }];

function text(frame: { opcode: number; payload: Buffer }): string {
  assert.equal(frame.opcode, OP_TEXT);
  return frame.payload.toString('utf8');
}

/** Sends `message` and expects the server's echo of it. */
async function echo(client: WebSocketClient, message: string, server = 'app'): Promise<void> {
  client.sendText(message);
  assert.equal(text(await client.next()), `${server}: ${message}`);
}

describe('upgrade decisions (pure)', () => {
  test('a route naming the type decides; otherwise the connection manager; otherwise refused', () => {
    const hcm = compileUpgradeConfigs([{ upgrade_type: 'WebSocket' }, { upgrade_type: 'spdy/3', enabled: false }], 'u');
    assert.equal(upgradeAllowed('websocket', hcm, undefined), true);
    assert.equal(upgradeAllowed('WEBSOCKET', hcm, undefined), true);
    assert.equal(upgradeAllowed('spdy/3', hcm, undefined), false);
    assert.equal(upgradeAllowed('foo', hcm, undefined), false);
    assert.equal(upgradeAllowed('websocket', hcm, compileUpgradeConfigs([{ upgrade_type: 'websocket', enabled: false }], 'r')), false);
    assert.equal(upgradeAllowed('spdy/3', hcm, compileUpgradeConfigs([{ upgrade_type: 'spdy/3' }], 'r')), true);
    assert.equal(upgradeAllowed('foo', compileUpgradeConfigs(undefined, 'u'), compileUpgradeConfigs([{ upgrade_type: 'foo', enabled: true }], 'r')), true);
    // A multi-valued Upgrade header is one type, as in Envoy.
    assert.equal(upgradeAllowed('websocket, foo', hcm, undefined), false);
  });

  test('CONNECT and a type configured twice are refused', () => {
    assert.throws(() => compileUpgradeConfigs([{ upgrade_type: 'CONNECT' }], 'u'), (e: unknown) => e instanceof ConfigError && /CONNECT \(and HTTP\/2 extended CONNECT\) is not supported/.test(e.message));
    assert.throws(() => compileUpgradeConfigs([{ upgrade_type: 'websocket' }, { upgrade_type: 'WebSocket' }], 'u'), /configured twice/);
  });
});

describe('WebSocket through one proxy', () => {
  let app: WebSocketServer;
  let p: ProxyServer;
  let port: number;
  let plainPort: number;
  let dir: string;
  let logFile: string;
  before(async () => {
    app = await webSocketServer('app');
    dir = mkdtempSync(path.join(os.tmpdir(), 'outrigger-ws-'));
    logFile = path.join(dir, 'access.log');
    const accessLog = [{
      name: 'envoy.access_loggers.file',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog',
        path: logFile,
        log_format: { text_format_source: { inline_string: '%REQ(:PATH)% %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %UPSTREAM_CLUSTER% %RESPONSE_CODE_DETAILS%\n' } },
      },
    }];
    p = await proxy({
      static_resources: {
        listeners: [
          {
            name: 'ws', address: sa('127.0.0.1', 0),
            filter_chains: [{ filters: [connectionManager('ws', {
              virtual_hosts: [{ name: 'svc', domains: ['*'], routes: [
                { match: { prefix: '/no-upgrade' }, route: { cluster: 'app', upgrade_configs: [{ upgrade_type: 'websocket', enabled: false }] } },
                { match: { prefix: '/h2-upstream' }, route: { cluster: 'app-h2' } },
                { match: { prefix: '/' }, route: { cluster: 'app' }, response_headers_to_add: [{ header: { key: 'x-route', value: 'default' } }] },
              ] }],
            }, { upgrade_configs: WEBSOCKET, access_log: accessLog })] }],
          },
          {
            // HTTP's own timers, all short: none of them may end a tunnel.
            name: 'timers', address: sa('127.0.0.1', 0),
            filter_chains: [{ filters: [connectionManager('timers', {
              virtual_hosts: [{ name: 'svc', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'app-short-pool', timeout: '0.3s' } }] }],
            }, { upgrade_configs: WEBSOCKET, request_headers_timeout: '0.2s', request_timeout: '0.3s', common_http_protocol_options: { idle_timeout: '0.3s' } })] }],
          },
          {
            // No upgrade_configs: only a route that enables the type lets it through.
            name: 'plain', address: sa('127.0.0.1', 0),
            filter_chains: [{ filters: [connectionManager('plain', {
              virtual_hosts: [{ name: 'svc', domains: ['*'], routes: [
                { match: { prefix: '/enabled-here' }, route: { cluster: 'app', upgrade_configs: WEBSOCKET } },
                { match: { prefix: '/' }, route: { cluster: 'app' } },
              ] }],
            })] }],
          },
        ],
        clusters: [
          staticCluster('app', [app.port]),
          staticCluster('app-h2', [app.port], { http2_protocol_options: {} }),
          staticCluster('app-short-pool', [app.port], { typed_extension_protocol_options: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
            '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
            common_http_protocol_options: { idle_timeout: '0.2s' },
            explicit_http_config: { http_protocol_options: {} },
          } } }),
        ],
      },
    });
    port = listenerPort(p, 'ws');
    plainPort = listenerPort(p, 'plain');
  });
  after(async () => {
    await p.shutdown();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the handshake and frames cross both ways; a server close reaches the client; stats and the access log count it', async () => {
    const upgradesBefore = stat(p, 'http.ws.downstream_cx_upgrades_total') ?? 0;
    const client = await openWebSocket(port, '/chat?room=1');
    assert.equal(client.status, 101);
    assert.equal(client.headers['upgrade'], 'websocket');
    assert.equal(client.headers['connection'], 'Upgrade');
    assert.equal(client.headers['server'], 'envoy');
    assert.equal(client.headers['x-route'], 'default');
    assert.ok(client.headers['x-envoy-upstream-service-time'] !== undefined);
    // The server saw the upgrade with its Connection and Upgrade headers, plus Envoy's own.
    const seen = app.upgrades.at(-1)!;
    assert.equal(seen['upgrade'], 'websocket');
    assert.equal(seen['connection'], 'Upgrade');
    assert.equal(seen['sec-websocket-version'], '13');
    assert.match(String(seen['x-request-id']), /^[0-9a-f-]{36}$/);
    assert.equal(seen['x-forwarded-proto'], 'http');

    assert.equal(text(await client.next()), 'app: hello');
    await echo(client, 'one');
    await echo(client, 'x'.repeat(70_000));
    assert.equal(stat(p, 'http.ws.downstream_cx_upgrades_total'), upgradesBefore + 1);
    assert.equal(stat(p, 'http.ws.downstream_cx_upgrades_active'), 1);
    assert.equal(stat(p, 'http.ws.downstream_rq_active'), 1);
    assert.equal(stat(p, 'cluster.app.upstream_rq_active'), 1);
    assert.ok((stat(p, 'cluster.app.upstream_cx_active') ?? 0) >= 1);

    // The server closes: its close frame, then its FIN, reach the client.
    client.sendText('close');
    const closing = await client.next();
    assert.equal(closing.opcode, OP_CLOSE);
    assert.equal(closing.payload.readUInt16BE(0), 1000);
    await client.ended;
    client.socket.end();
    assert.equal(await client.closed, undefined);

    await eventually(() => stat(p, 'http.ws.downstream_cx_upgrades_active') === 0 && stat(p, 'cluster.app.upstream_rq_active') === 0);
    assert.equal(stat(p, 'http.ws.downstream_rq_active'), 0);
    assert.ok((stat(p, 'http.ws.downstream_rq_1xx') ?? 0) >= 1);
    assert.ok((stat(p, 'cluster.app.upstream_rq_1xx') ?? 0) >= 1);
    // One line, written once the tunnel closed, with the bytes that crossed it.
    await eventually(() => readLog(logFile).some((l) => l.startsWith('/chat?room=1 ')));
    const line = readLog(logFile).find((l) => l.startsWith('/chat?room=1 '));
    assert.equal(line, `/chat?room=1 101 - ${client.bytesOut} ${client.bytesIn} app via_upstream`);
  });

  test('a half-close from the client is passed on, and the server can still answer', async () => {
    const client = await openWebSocket(port, '/half');
    assert.equal(text(await client.next()), 'app: hello');
    await echo(client, 'before FIN');
    client.socket.end();
    // The server saw the FIN (not a close) and its last frame came back through the open direction.
    assert.equal(text(await client.next()), 'app: bye');
    await client.ended;
    assert.equal(await client.closed, undefined);
    assert.ok(app.endings.includes('end'));
  });

  test('a route that disables the upgrade answers 403, as Envoy does, and never reaches the server', async () => {
    const before = app.upgrades.length;
    const refusedBefore = stat(p, 'http.ws.downstream_rq_ws_on_non_ws_route') ?? 0;
    const client = await openWebSocket(port, '/no-upgrade');
    assert.equal(client.status, 403);
    assert.equal(client.headers['connection'], 'close');
    assert.equal(client.headers['content-length'], '0');
    assert.equal(await client.closed, undefined);
    assert.equal(app.upgrades.length, before);
    assert.equal(stat(p, 'http.ws.downstream_rq_ws_on_non_ws_route'), refusedBefore + 1);
    await eventually(() => readLog(logFile).some((l) => l.startsWith('/no-upgrade 403 - 0 0 - upgrade_failed')));
  });

  test('without upgrade_configs on the connection manager only a route that enables the type upgrades', async () => {
    const refused = await openWebSocket(plainPort, '/');
    assert.equal(refused.status, 403);
    assert.equal(stat(p, 'http.plain.downstream_rq_ws_on_non_ws_route'), 1);
    const allowed = await openWebSocket(plainPort, '/enabled-here');
    assert.equal(allowed.status, 101);
    assert.equal(text(await allowed.next()), 'app: hello');
    await echo(allowed, 'per-route');
    allowed.socket.destroy();
    await allowed.closed;
    await eventually(() => stat(p, 'http.plain.downstream_cx_upgrades_active') === 0);
    assert.equal(stat(p, 'http.plain.downstream_cx_upgrades_total'), 1);
  });

  test('an upstream that answers the upgrade with something other than 101 is a normal response', async () => {
    const client = await openWebSocket(port, '/refuse');
    assert.equal(client.status, 400);
    assert.equal(client.headers['connection'], 'close');
    assert.equal(client.headers['upgrade'], undefined);
    assert.equal(client.body, 'no ws!');
  });

  test('an upgrade to an HTTP/2 cluster is refused with 503 (extended CONNECT upstream is not implemented)', async () => {
    const before = app.upgrades.length;
    const client = await openWebSocket(port, '/h2-upstream');
    assert.equal(client.status, 503);
    assert.equal(client.body, 'upgrade over an HTTP/2 upstream (extended CONNECT) is not supported');
    assert.equal(app.upgrades.length, before);
  });

  test('HTTP timers (headers, request, route, keep-alive and pool idle timeouts) never end a tunnel', async () => {
    const client = await openWebSocket(listenerPort(p, 'timers'), '/quiet');
    assert.equal(text(await client.next()), 'app: hello');
    // Several times the longest of them, with no byte crossing.
    await new Promise((r) => setTimeout(r, 1000));
    await echo(client, 'still open');
    client.socket.destroy();
    await client.closed;
  });

  test('the route timeout bounds a handshake the upstream never answers (504)', async () => {
    const client = await openWebSocket(listenerPort(p, 'timers'), '/hang');
    assert.equal(client.status, 504);
    assert.equal(client.body, 'upstream request timeout');
    await eventually(() => stat(p, 'http.timers.downstream_cx_upgrades_active') === 0 && stat(p, 'cluster.app-short-pool.upstream_rq_active') === 0);
  });

  test('other connections keep working while a tunnel is open', async () => {
    const client = await openWebSocket(port, '/long-lived');
    assert.equal(text(await client.next()), 'app: hello');
    const plain = await send(port, '/plain');
    assert.equal(plain.status, 200);
    assert.equal(plain.body, 'app plain /plain');
    // A plain request loses any stray Upgrade header when it is not an upgrade (no Connection: upgrade).
    const stray = await send(port, '/stray', { headers: { upgrade: 'websocket' } });
    assert.equal(stray.status, 200);
    assert.equal(app.plain.at(-1)!.headers['upgrade'], undefined);
    await echo(client, 'still here');
    client.socket.end();
    await client.closed;
  });

  test('a client reset mid-tunnel resets the server side; the proxy goes on', async () => {
    const client = await openWebSocket(port, '/reset-by-client');
    assert.equal(text(await client.next()), 'app: hello');
    await echo(client, 'then gone');
    const endings = app.endings.length;
    client.socket.resetAndDestroy();
    await eventually(() => app.endings.length > endings);
    assert.equal(app.endings.at(-1), 'reset');
    await eventually(() => stat(p, 'http.ws.downstream_cx_upgrades_active') === 0);
    const again = await openWebSocket(port, '/after-reset');
    assert.equal(text(await again.next()), 'app: hello');
    await echo(again, 'fine');
    again.socket.destroy();
    await again.closed;
  });

  test('a server reset mid-tunnel reaches the client as a reset; the proxy goes on', async () => {
    const client = await openWebSocket(port, '/reset-by-server');
    assert.equal(text(await client.next()), 'app: hello');
    client.sendText('reset');
    assert.equal(await client.closed, 'ECONNRESET');
    await eventually(() => readLog(logFile).some((l) => l.startsWith('/reset-by-server 101 UC ')));
    const plain = await send(port, '/after-server-reset');
    assert.equal(plain.status, 200);
  });

  test('h2c is not an upgrade Envoy makes: the request is served as plain HTTP/1.1 on a connection kept alive', async () => {
    const response = await rawExchange(port,
      'GET /h2c HTTP/1.1\r\nHost: svc\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n'
      + 'GET /second HTTP/1.1\r\nHost: svc\r\nConnection: close\r\n\r\n');
    const answers = response.split('HTTP/1.1 ').slice(1);
    assert.equal(answers.length, 2);
    assert.match(answers[0]!, /^200 OK[\s\S]*app plain \/h2c$/);
    assert.match(answers[1]!, /^200 OK[\s\S]*app plain \/second$/);
    const h2c = app.plain.find((r) => r.url === '/h2c')!;
    assert.equal(h2c.headers['upgrade'], undefined);
    assert.equal(h2c.headers['http2-settings'], undefined);
  });

  test('CONNECT is refused with 403 (no CONNECT upgrade is ever configured)', async () => {
    const response = await rawExchange(port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    assert.match(response, /^HTTP\/1\.1 403 Forbidden\r\n/);
  });
});

describe('WebSocket through a pair of proxies (client → outbound → inbound → server)', () => {
  let app: WebSocketServer;
  let inbound: ProxyServer;
  let outbound: ProxyServer;
  before(async () => {
    app = await webSocketServer('app');
    // As Istio configures both sidecars: upgrade_configs websocket on each connection manager.
    inbound = await proxy({
      static_resources: {
        listeners: [{ name: 'inbound', address: sa('127.0.0.1', 0), filter_chains: [{ filters: [connectionManager('inbound_0.0.0.0_8080', {
          virtual_hosts: [{ name: 'inbound|http|8080', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'inbound|8080||', timeout: '0s' } }] }],
        }, { upgrade_configs: WEBSOCKET })] }] }],
        clusters: [staticCluster('inbound|8080||', [app.port])],
      },
    });
    outbound = await proxy({
      static_resources: {
        listeners: [{ name: 'outbound', address: sa('127.0.0.1', 0), filter_chains: [{ filters: [connectionManager('outbound_0.0.0.0_8080', {
          virtual_hosts: [{ name: 'app.default.svc.cluster.local:8080', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'outbound|8080||app' } }] }],
        }, { upgrade_configs: WEBSOCKET })] }] }],
        clusters: [staticCluster('outbound|8080||app', [listenerPort(inbound, 'inbound')])],
      },
    });
  });
  after(async () => {
    await outbound.shutdown();
    await inbound.shutdown();
    await app.close();
  });

  test('echo both ways, half-close and server close across both sidecars; each counts its upgrade', async () => {
    const port = listenerPort(outbound, 'outbound');
    const client = await openWebSocket(port, '/ws');
    assert.equal(client.status, 101);
    assert.equal(text(await client.next()), 'app: hello');
    await echo(client, 'across two proxies');
    await echo(client, 'y'.repeat(200_000));
    assert.equal(stat(outbound, 'http.outbound_0.0.0.0_8080.downstream_cx_upgrades_active'), 1);
    assert.equal(stat(inbound, 'http.inbound_0.0.0.0_8080.downstream_cx_upgrades_active'), 1);
    client.socket.end();
    assert.equal(text(await client.next()), 'app: bye');
    await client.ended;
    await client.closed;

    const second = await openWebSocket(port, '/ws2');
    assert.equal(text(await second.next()), 'app: hello');
    second.sendText('close');
    assert.equal((await second.next()).opcode, OP_CLOSE);
    await second.ended;
    second.socket.end();
    await second.closed;

    await eventually(() => stat(outbound, 'http.outbound_0.0.0.0_8080.downstream_cx_upgrades_active') === 0 && stat(inbound, 'http.inbound_0.0.0.0_8080.downstream_cx_upgrades_active') === 0);
    assert.equal(stat(outbound, 'http.outbound_0.0.0.0_8080.downstream_cx_upgrades_total'), 2);
    assert.equal(stat(inbound, 'http.inbound_0.0.0.0_8080.downstream_cx_upgrades_total'), 2);
    await eventually(() => stat(outbound, 'cluster.outbound|8080||app.upstream_cx_active') === 0 && stat(inbound, 'cluster.inbound|8080||.upstream_cx_active') === 0);
  });

  test('a reset at the client reaches the server through both proxies', async () => {
    const client = await openWebSocket(listenerPort(outbound, 'outbound'), '/ws-reset');
    assert.equal(text(await client.next()), 'app: hello');
    const endings = app.endings.length;
    client.socket.resetAndDestroy();
    await eventually(() => app.endings.length > endings);
    assert.equal(app.endings.at(-1), 'reset');
    const plain = await send(listenerPort(outbound, 'outbound'), '/after');
    assert.equal(plain.body, 'app plain /after');
  });
});

describe('upgrade configuration the proxy refuses', () => {
  const hcm = (extra: Record<string, unknown>) => ({
    name: 'l', address: sa('127.0.0.1', 0),
    filter_chains: [{ filters: [connectionManager('p', { virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'c' } }] }] }, extra)] }],
  });

  test('a separate upgrade filter chain, CONNECT tunnelling on a route and HTTP/2 extended CONNECT are named', () => {
    assert.throws(() => decodeResourceJson(typeUrls.listener, hcm({ upgrade_configs: [{ upgrade_type: 'websocket', filters: [{ name: 'envoy.filters.http.router' }] }] })), /field "filters"/);
    assert.throws(() => decodeResourceJson(typeUrls.listener, hcm({ http2_protocol_options: { allow_connect: true } })), /field "http2_protocol_options"/);
    const routeWithConnect = { name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'c', upgrade_configs: [{ upgrade_type: 'CONNECT', connect_config: {} }] } }] }] };
    assert.throws(() => decodeResourceJson(typeUrls.routeConfiguration, routeWithConnect), /field "connect_config"/);
  });

  test('upgrade_type CONNECT on the connection manager stops the proxy from starting', async () => {
    await assert.rejects(proxy({ static_resources: { listeners: [hcm({ upgrade_configs: [{ upgrade_type: 'CONNECT' }] })], clusters: [staticCluster('c', [1])] } }), /CONNECT \(and HTTP\/2 extended CONNECT\) is not supported/);
  });
});

function readLog(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
