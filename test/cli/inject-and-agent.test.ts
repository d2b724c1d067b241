// kube-inject, wait and request from the command line, against real files and real servers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'outrigger');
function run(args: string[], input?: string): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [bin, ...args], { env: { PATH: process.env['PATH'] ?? '' } }, (error, stdout, stderr) => {
      resolve({ status: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin!.end(input ?? '');
  });
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ratings
spec:
  selector:
    matchLabels:
      app: ratings
  template:
    metadata:
      labels:
        app: ratings
    spec:
      containers:
      - name: ratings
        image: example/ratings:1
        ports:
        - containerPort: 9080
`;

describe('outrigger kube-inject', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kube-inject-'));
    writeFileSync(path.join(dir, 'app.yaml'), deployment);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('-f FILE prints the injected workload, every document ending with ---', async () => {
    const out = await run(['kube-inject', '-f', path.join(dir, 'app.yaml')]);
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /- name: istio-proxy\n/);
    assert.match(out.stdout, /sidecar\.istio\.io\/status: '\{"initContainers":\["istio-init"\]/);
    assert.ok(out.stdout.endsWith('---\n'));
  });

  test('-f - reads standard input; -o writes a file', async () => {
    const target = path.join(dir, 'out.yaml');
    const out = await run(['kube-inject', '-f', '-', '-o', target], deployment);
    assert.equal(out.status, 0, out.stderr);
    assert.equal(out.stdout, '');
    assert.match(readFileSync(target, 'utf8'), /- name: istio-init\n/);
  });

  test('--revision lands in the status and the istio.io/rev annotation', async () => {
    const out = await run(['kube-inject', '-f', '-', '--revision', 'canary'], deployment);
    assert.match(out.stdout, /"revision":"canary"/);
    assert.match(out.stdout, /istio\.io\/rev: canary/);
    assert.match(out.stdout, /value: istiod-canary\.istio-system\.svc:15012/);
  });

  test('errors are one line, name what is wrong, and print no partial output', async () => {
    const cases: [string[], string | undefined, RegExp][] = [
      [['kube-inject'], undefined, /^Error: filename not specified \(see --filename or -f\)\n$/],
      [['kube-inject', '-f', path.join(dir, 'missing.yaml')], undefined, /^Error: cannot read ".*missing\.yaml": no such file\n$/],
      [['kube-inject', '-f', '-', '--meshConfigFile', path.join(dir, 'nope.yaml')], deployment, /^Error: --meshConfigFile: cannot read ".*nope\.yaml": no such file\n$/],
      [['kube-inject', '-f', '-', '--meshConfigMapName', 'istio'], deployment, /^Error: --meshConfigMapName istio: reading ConfigMaps from a cluster is not supported by kube-inject; save its data to a file and pass --meshConfigFile\n$/],
      [['kube-inject', '-f', '-'], deployment.replace('      labels:\n        app: ratings\n    spec', '      labels:\n        app: ratings\n      annotations:\n        traffic.sidecar.istio.io/includeInboundPorts: "80,http"\n    spec'), /^Error: document 1 \(line 1\): Deployment "ratings": invalid value '80,http' for annotation 'traffic\.sidecar\.istio\.io\/includeInboundPorts': "http" is not a port number\n$/],
      [['kube-inject', '-f', '-'], 'kind: Pod\nmetadata: {name: [\n', /^Error: document 1 \(line \d+\): /],
    ];
    for (const [args, input, message] of cases) {
      const out = await run(args, input);
      assert.equal(out.status, 1, args.join(' '));
      assert.match(out.stderr, message);
      assert.equal(out.stdout, '');
    }
  });

  test('a whole ConfigMap is accepted as --injectConfigFile', async () => {
    const configMap = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio-sidecar-injector\ndata:\n  config: |\n    templates:\n      sidecar: |\n        spec:\n          containers:\n          - name: istio-proxy\n            image: "{{ .ProxyImage }}"\n`;
    writeFileSync(path.join(dir, 'cm.yaml'), configMap);
    const out = await run(['kube-inject', '-f', path.join(dir, 'app.yaml'), '--injectConfigFile', path.join(dir, 'cm.yaml')]);
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /- name: istio-proxy\n {8}image: docker\.io\/outrigger\/proxyv2:latest\n/);
  });
});

describe('outrigger wait and request (pilot-agent names)', () => {
  let server: http.Server;
  let port = 0;
  let ready = false;
  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/healthz/ready') {
        res.statusCode = ready ? 200 : 503;
        res.end(ready ? 'ok' : 'not yet');
      } else if (req.url === '/stats' && req.method === 'GET') {
        res.end('server.live: 1\n');
      } else if (req.url === '/logging?level=debug' && req.method === 'POST') {
        res.end('active loggers: debug\n');
      } else {
        res.statusCode = 404;
        res.end('not found\n');
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  test('wait returns once the readiness URL answers 200', async () => {
    setTimeout(() => (ready = true), 300);
    const out = await run(['wait', '--url', `http://127.0.0.1:${port}/healthz/ready`, '--periodMillis', '50', '--timeoutSeconds', '10']);
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /The proxy is ready!/);
  });

  test('wait gives up after --timeoutSeconds with the last error', async () => {
    ready = false;
    const out = await run(['wait', '--url', `http://127.0.0.1:${port}/healthz/ready`, '--periodMillis', '50', '--timeoutSeconds', '1']);
    assert.equal(out.status, 1);
    assert.match(out.stderr, /timeout waiting for the proxy to become ready\. Last error: HTTP status code 503/);
  });

  test('request calls the admin port and prints the body; errors exit 1', async () => {
    const stats = await run(['request', 'GET', 'stats', '--debug-port', String(port)]);
    assert.equal(stats.status, 0, stats.stderr);
    assert.equal(stats.stdout, 'server.live: 1\n');
    const post = await run(['request', 'POST', '/logging?level=debug', '--debug-port', String(port)]);
    assert.equal(post.stdout, 'active loggers: debug\n');
    const missing = await run(['request', 'GET', 'nothing', '--debug-port', String(port)]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /returned HTTP 404/);
    const bad = await run(['request', 'GET', 'stats', '--debug-port', 'x']);
    assert.match(bad.stderr, /invalid value "x" for --debug-port/);
  });
});
