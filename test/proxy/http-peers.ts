// Real HTTP peers for the fault, mirror and connection-pool tests: an upstream
// that records what reaches it (and on how many TCP connections), a client, and
// the connection manager's config around a route configuration.
import http from 'node:http';
import type net from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Which accepted connection carried it (0, 1, …). */
  connection: number;
}

export interface RecordingUpstream {
  port: number;
  seen: SeenRequest[];
  /** TCP connections accepted so far, and how many of them have closed. */
  connections(): number;
  closed(): number;
  close(): Promise<void>;
}

/** An HTTP/1.1 server that answers "<name> <method> <url>" unless `behave` answers first (returning true). */
export function recordingUpstream(name: string, behave: (req: http.IncomingMessage, res: http.ServerResponse) => boolean = () => false): Promise<RecordingUpstream> {
  const seen: SeenRequest[] = [];
  const ids = new WeakMap<net.Socket, number>();
  let accepted = 0;
  let closed = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, connection: ids.get(req.socket) ?? -1 });
      if (behave(req, res)) return;
      res.end(`${name} ${req.method} ${req.url}`);
    });
  });
  server.on('connection', (socket: net.Socket) => {
    ids.set(socket, accepted++);
    socket.once('close', () => closed++);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: (server.address() as net.AddressInfo).port,
    seen,
    connections: () => accepted,
    closed: () => closed,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  })));
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function send(port: number, path: string, options: { host?: string; method?: string; headers?: Record<string, string>; body?: string; agent?: http.Agent } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers = { host: options.host ?? 'svc', ...options.headers };
    const req = http.request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers, agent: options.agent ?? false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export const ROUTER = { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } };
export const FAULT_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';

export function connectionManager(statPrefix: string, routeConfig: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
      stat_prefix: statPrefix,
      route_config: routeConfig,
      http_filters: [ROUTER],
      ...extra,
    },
  };
}
