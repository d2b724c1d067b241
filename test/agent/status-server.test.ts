// The agent's status server against a real app on loopback.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { parseAppProbers, ProberConfigError, runProber } from '../../src/agent/app-probers.js';
import { parsePrometheusAnnotations, startStatusServer } from '../../src/agent/status-server.js';
import type { StatusServer } from '../../src/agent/status-server.js';

describe('app probers', () => {
  let app: http.Server;
  let appPort = 0;
  let closedPort = 0;
  before(async () => {
    app = http.createServer((req, res) => {
      if (req.url === '/ready') res.end('ok');
      else if (req.url === '/headers') res.end(req.headers['x-probe'] === 'yes' ? 'ok' : (res.statusCode = 400, 'missing'));
      else if (req.url === '/metrics') res.end('app_requests_total 7\n');
      else {
        res.statusCode = 503;
        res.end('down');
      }
    });
    app.listen(0, '127.0.0.1');
    await once(app, 'listening');
    appPort = (app.address() as AddressInfo).port;
    const probe = net.createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    closedPort = (probe.address() as AddressInfo).port;
    probe.close();
  });
  after(() => app.close());

  test('httpGet: 2xx/3xx pass, others fail; headers are sent', async () => {
    assert.deepEqual(await runProber({ httpGet: { path: '/ready', port: appPort } }, '127.0.0.1'), { ok: true, status: 200, detail: 'HTTP 200' });
    assert.equal((await runProber({ httpGet: { path: '/down', port: appPort } }, '127.0.0.1')).ok, false);
    assert.equal((await runProber({ httpGet: { path: '/headers', port: appPort, httpHeaders: [{ name: 'X-Probe', value: 'yes' }] } }, '127.0.0.1')).ok, true);
  });

  test('tcpSocket: open and closed ports', async () => {
    assert.equal((await runProber({ tcpSocket: { port: appPort } }, '127.0.0.1')).ok, true);
    assert.deepEqual(await runProber({ tcpSocket: { port: closedPort } }, '127.0.0.1'), { ok: false, detail: 'ECONNREFUSED' });
  });

  test('ISTIO_KUBE_APP_PROBERS parsing, and its errors', () => {
    const probers = parseAppProbers(JSON.stringify({ '/app-health/app/readyz': { httpGet: { path: '/ready', port: 8080 } }, '/app-health/app/livez': { tcpSocket: { port: 8080 } } }));
    assert.deepEqual([...probers.keys()], ['/app-health/app/readyz', '/app-health/app/livez']);
    assert.equal(parseAppProbers(undefined).size, 0);
    assert.throws(() => parseAppProbers('{'), (e: Error) => e instanceof ProberConfigError && /not JSON/.test(e.message));
    assert.throws(() => parseAppProbers('{"/elsewhere": {"tcpSocket": {"port": 1}}}'), /unexpected path "\/elsewhere"/);
    assert.throws(() => parseAppProbers('{"/app-health/a/readyz": {}}'), /has no httpGet, tcpSocket or grpc/);
  });

  describe('the status server', () => {
    let server: StatusServer;
    let proxyReady = false;
    let quit = 0;
    before(async () => {
      server = await startStatusServer({
        host: '127.0.0.1',
        statusPort: 0,
        readinessPort: 0,
        appHost: '127.0.0.1',
        probers: parseAppProbers(JSON.stringify({ '/app-health/app/readyz': { httpGet: { path: '/ready', port: appPort } }, '/app-health/app/livez': { tcpSocket: { port: closedPort } } })),
        proxyReady: () => proxyReady,
        proxyStats: async () => 'envoy_server_live 1\n',
        appMetrics: parsePrometheusAnnotations(JSON.stringify({ scrape: 'true', port: String(appPort), path: '/metrics' }))!,
        onQuit: () => quit++,
      });
    });
    after(() => server.close());
    const get = async (port: number | undefined, path: string, method = 'GET') => {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, { method });
      return { status: response.status, body: await response.text() };
    };

    test('/healthz/ready on 15020 and 15021 follows the proxy', async () => {
      assert.equal((await get(server.statusPort, '/healthz/ready')).status, 503);
      assert.equal((await get(server.readinessPort, '/healthz/ready')).status, 503);
      proxyReady = true;
      assert.equal((await get(server.statusPort, '/healthz/ready')).status, 200);
      assert.equal((await get(server.readinessPort, '/healthz/ready')).status, 200);
    });

    test('/app-health runs the recorded probe', async () => {
      assert.equal((await get(server.statusPort, '/app-health/app/readyz')).status, 200);
      const failed = await get(server.statusPort, '/app-health/app/livez');
      assert.equal(failed.status, 500);
      assert.match(failed.body, /probe \/app-health\/app\/livez failed: ECONNREFUSED/);
      assert.equal((await get(server.statusPort, '/app-health/other/readyz')).status, 404);
    });

    test("/stats/prometheus merges the proxy's and the app's metrics", async () => {
      const metrics = await get(server.statusPort, '/stats/prometheus');
      assert.match(metrics.body, /^envoy_server_live 1$/m);
      assert.match(metrics.body, /^app_requests_total 7$/m);
    });

    test('POST /quitquitquit asks the agent to exit', async () => {
      assert.equal((await get(server.statusPort, '/quitquitquit', 'POST')).status, 200);
      assert.equal(quit, 1);
    });
  });
});

describe('gRPC health probes', () => {
  test('SERVING passes; NOT_SERVING and an unknown service fail', async () => {
    const statuses: Record<string, number> = { '': 1, down: 2 };
    const server = new grpc.Server();
    server.addService(
      {
        Check: {
          path: '/grpc.health.v1.Health/Check',
          requestStream: false,
          responseStream: false,
          // An object, not a string: grpc-js takes a falsy request for a missing one.
          requestDeserialize: (b: Buffer) => ({ service: b.length > 2 ? b.subarray(2).toString() : '' }),
          requestSerialize: (r: { service: string }) => Buffer.from(r.service),
          responseSerialize: (status: number) => Buffer.from([0x08, status]),
          responseDeserialize: (b: Buffer) => b[1],
        },
      },
      {
        Check: (call: grpc.ServerUnaryCall<{ service: string }, number>, callback: grpc.sendUnaryData<number>) => {
          const status = statuses[call.request.service];
          if (status === undefined) callback({ code: grpc.status.NOT_FOUND, details: 'unknown service', name: 'Error', message: 'unknown service' });
          else callback(null, status);
        },
      },
    );
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    try {
      assert.deepEqual(await runProber({ grpc: { port } }, '127.0.0.1'), { ok: true, detail: 'SERVING' });
      assert.deepEqual(await runProber({ grpc: { port, service: 'down' } }, '127.0.0.1'), { ok: false, detail: 'NOT_SERVING' });
      assert.deepEqual(await runProber({ grpc: { port, service: 'nope' } }, '127.0.0.1'), { ok: false, detail: 'unknown service' });
    } finally {
      server.forceShutdown();
    }
  });
});
