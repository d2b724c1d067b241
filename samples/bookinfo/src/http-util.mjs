// Small helpers shared by the Bookinfo services: JSON answers, and calls to other
// services that carry the request's tracing and user headers along, as every
// service in a mesh must for traces to join up and header-based routing to work.
import http from 'node:http';
import { randomUUID } from 'node:crypto';

// Headers a service passes on from the request it serves to the requests it makes.
export const PROPAGATED_HEADERS = [
  'x-request-id',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'x-b3-flags',
  'b3',
  'traceparent',
  'tracestate',
  'x-ot-span-context',
  'x-cloud-trace-context',
  'grpc-trace-bin',
  'end-user',
  'user-agent',
];

export function propagated(req) {
  const out = {};
  for (const name of PROPAGATED_HEADERS) {
    const value = req.headers[name];
    if (typeof value === 'string') out[name] = value;
  }
  out['x-request-id'] ??= randomUUID();
  return out;
}

export function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * GET a JSON document; resolves { status, body } or { status: 0, error } without throwing.
 * A new connection per request (agent: false), like Bookinfo's original services: without a
 * sidecar, kube-proxy balances connections, not requests, so a kept-alive connection would
 * pin every call to one version.
 */
export function getJson(url, headers, timeoutMs) {
  return new Promise((resolve) => {
    const req = http.get(url, { headers, timeout: timeoutMs, agent: false }, (res) => {
      let data = '';
      res.setEncoding('utf8').on('data', (d) => (data += d));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(data) });
        } catch {
          resolve({ status: res.statusCode ?? 0, body: undefined, error: data.slice(0, 200) });
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', (error) => resolve({ status: 0, error: error.message }));
  });
}

/** Serves `handler` on PORT (9080 by default); SIGTERM closes the listener and exits. */
export function serve(name, handler) {
  const port = Number(process.env.PORT ?? process.argv[2] ?? 9080);
  const server = http.createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch((error) => sendJson(res, 500, { error: String(error) }));
  });
  server.keepAliveTimeout = 5000;
  server.listen(port, () => console.log(`${name} listening on ${port} (pod ${process.env.POD_NAME ?? process.env.HOSTNAME ?? '?'})`));
  process.on('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeAllConnections?.();
  });
  return server;
}
