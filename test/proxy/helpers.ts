// Shared pieces for proxy tests: real servers and clients on loopback.
import net from 'node:net';
import http from 'node:http';
import { startProxy } from '../../src/proxy/index.js';
import type { ProxyServer } from '../../src/proxy/index.js';
import { seededRandom } from '../../src/proxy/load-balancers/index.js';

export interface TestServer {
  port: number;
  /** Remote addresses of accepted connections, in order. */
  peers: string[];
  close(): Promise<void>;
}

/** A TCP server that replies "<name>:" followed by whatever it receives, and closes when the client half-closes. */
export function echoServer(name: string, host = '127.0.0.1'): Promise<TestServer> {
  const peers: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    peers.push(socket.remoteAddress ?? '');
    socket.on('error', () => undefined);
    socket.write(`${name}:`);
    socket.pipe(socket);
  });
  return new Promise((resolve) => {
    server.listen(0, host, () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        peers,
        close: () => {
          for (const s of sockets) s.destroy();
          return new Promise((r) => server.close(() => r()));
        },
      });
    });
  });
}

/** Connects, sends `payload`, half-closes, and returns everything received until the server closes. */
export function exchange(port: number, payload: string | Buffer, host = '127.0.0.1', timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, allowHalfOpen: true });
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; got ${JSON.stringify(data)}`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (data += d));
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(data);
    });
    socket.on('connect', () => socket.end(payload));
  });
}

/** Resolves with how the connection ended when the peer closes without sending anything. */
export function closedWithoutData(port: number, host = '127.0.0.1'): Promise<{ data: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (data += d));
    socket.on('error', (e: NodeJS.ErrnoException) => resolve({ data, error: e.code }));
    socket.on('close', () => resolve({ data }));
  });
}

/** A port that nothing listens on (bound then released). */
export async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

export function sa(address: string, port: number): { socket_address: { address: string; port_value: number } } {
  return { socket_address: { address, port_value: port } };
}

export function tcpProxyFilter(cluster: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'envoy.filters.network.tcp_proxy',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
      stat_prefix: cluster,
      cluster,
      ...extra,
    },
  };
}

export function staticCluster(name: string, ports: number[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: ports.map((p) => ({ endpoint: { address: sa('127.0.0.1', p) } })) }] },
    ...extra,
  };
}

export async function proxy(bootstrap: Record<string, unknown>, seed = 1): Promise<ProxyServer> {
  return startProxy({ bootstrap, random: seededRandom(seed), logLevel: 'off' });
}

export function listenerPort(server: ProxyServer, name: string): number {
  const l = server.listenerManager.get(name);
  if (!l) throw new Error(`no listener ${name}`);
  return l.boundPort;
}

export function stat(server: ProxyServer, name: string): number | undefined {
  server.refreshStats();
  return server.stats.find(name)?.value;
}

/** Waits until `predicate` holds (stats settle a tick after sockets close). */
export async function eventually(predicate: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function httpGet(port: number, path: string, method = 'GET'): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type']) }));
    });
    req.on('error', reject);
    req.end();
  });
}
