// One attempt of one request to one upstream host over HTTP/1.1, with a
// keep-alive pool per cluster. Resolves with the response head, or with why
// there is none (connect failure, reset, per-try timeout), or — for an upgrade
// the server accepts — with the upgraded connection. HTTP/2 upstreams are in
// upstream-request-h2.ts; both resolve to the same UpstreamResponse.
import http from 'node:http';
import type net from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import type { Cluster } from '../upstream/cluster.js';
import type { Host } from '../upstream/host.js';
import tls from 'node:tls';
import type { Headers } from './header-mutation.js';
import { attemptH2 } from './upstream-request-h2.js';
import { isTlsHandshakeError } from '../transport-sockets/index.js';
import type { UpstreamTls } from '../transport-sockets/index.js';

/** A response head from either protocol, its body stream, and its trailers once the body ends. */
export interface UpstreamResponse {
  status: number;
  statusMessage?: string;
  /** Regular headers only (no pseudo-headers). */
  headers: Headers;
  body: Readable;
  /** Trailers, available after the body's 'end' (gRPC's grpc-status lives here). */
  trailers(): Headers | undefined;
  /** Abandons the response (and the upstream stream or connection carrying it). */
  cancel(): void;
}

/** An upstream that answered an upgrade request with 101: its head, and the connection, now the server's raw byte stream. */
export interface UpgradedUpstream {
  status: number;
  statusMessage?: string;
  headers: Headers;
  socket: net.Socket;
  /** Bytes the server sent after its 101 head, read along with it. */
  head: Buffer;
  /** Ends the request's accounting (upstream_rq_active): call when the tunnel closes. */
  done(): void;
}

export type AttemptResult =
  | { kind: 'response'; response: UpstreamResponse }
  | { kind: 'upgraded'; upgraded: UpgradedUpstream }
  | { kind: 'connect-failure' | 'per-try-timeout'; error?: Error }
  /** refusedStream: HTTP/2 REFUSED_STREAM, which retry_on refused-stream retries. */
  | { kind: 'reset'; error?: Error; refusedStream?: boolean };

const agents = new WeakMap<Cluster, http.Agent>();
const counted = new WeakSet<net.Socket>();
/** Requests each pooled connection has carried, for max_requests_per_connection. */
const requestsCarried = new WeakMap<net.Socket, number>();

function agentFor(cluster: Cluster): http.Agent {
  let agent = agents.get(cluster);
  if (!agent) {
    const { idleTimeoutMs } = cluster.httpPool;
    // max_connections caps the pool; requests beyond it wait for a connection (Envoy's pending requests).
    // The agent's socket timeout closes only free sockets: that is idle_timeout (no active request).
    agent = new http.Agent({ keepAlive: true, scheduling: 'lifo', maxTotalSockets: cluster.circuitBreakers.maxConnections, ...(idleTimeoutMs > 0 ? { timeout: idleTimeoutMs } : {}) });
    // A host's connections are TLS when its transport socket says so (the request carries which);
    // the agent pools per host, so a pooled connection is always of the right kind.
    const plain = agent.createConnection.bind(agent);
    agent.createConnection = (options: net.NetConnectOpts & { host?: string; port?: number; localAddress?: string; upstreamTls?: UpstreamTls }, callback?: (error: Error | null, stream: Duplex) => void) =>
      options.upstreamTls
        ? options.upstreamTls.connect({ host: options.host, port: options.port, ...(options.localAddress ? { localAddress: options.localAddress } : {}) })
        : plain(options, callback);
    agents.set(cluster, agent);
    const created = agent;
    cluster.onRelease.push(() => created.destroy());
  }
  return agent;
}

export interface AttemptOptions {
  cluster: Cluster;
  host: Host;
  method: string;
  path: string;
  headers: Headers;
  /** The buffered body (retries replay it), or a stream to pipe once. */
  body: Buffer | Readable;
  perTryTimeoutMs: number;
  protocol: 'http1' | 'http2';
  /** The request asks for an upgrade (its Connection and Upgrade headers kept): a 101 resolves as 'upgraded'. */
  upgrade?: boolean;
}

export function attempt(options: AttemptOptions): { result: Promise<AttemptResult>; abort(): void } {
  return options.protocol === 'http2' ? attemptH2(options) : attemptH1(options);
}

function attemptH1(options: AttemptOptions): { result: Promise<AttemptResult>; abort(): void } {
  const { cluster, host } = options;
  const stats = cluster.stats;
  stats.upstream_rq_total.inc();
  stats.upstream_rq_active.inc();
  host.rqTotal++;
  host.activeRequests++;
  let done = false;
  const finishAccounting = () => {
    if (done) return;
    done = true;
    stats.upstream_rq_active.dec();
    host.activeRequests--;
  };
  const upstreamTls = cluster.tlsFor(host);
  const source = cluster.sourceFor(host.address);
  const request = http.request({
    host: host.address,
    port: host.port,
    method: options.method,
    path: options.path,
    headers: options.headers as http.OutgoingHttpHeaders,
    agent: agentFor(cluster),
    ...(source ? { localAddress: source.address } : {}),
    setHost: false,
    // Read by the agent's createConnection above.
    ...(upstreamTls ? { upstreamTls } : {}),
  });
  const result = new Promise<AttemptResult>((resolve) => {
    let settled = false;
    let connectTimer: NodeJS.Timeout | undefined;
    let tryTimer: NodeJS.Timeout | undefined;
    const settle = (r: AttemptResult) => {
      if (settled) return;
      settled = true;
      if (connectTimer) clearTimeout(connectTimer);
      if (tryTimer) clearTimeout(tryTimer);
      if (r.kind !== 'response' && r.kind !== 'upgraded') {
        finishAccounting();
        host.rqError++;
        request.destroy();
      }
      resolve(r);
    };
    request.on('socket', (socket: net.Socket) => {
      const limit = cluster.httpPool.maxRequestsPerConnection;
      if (limit > 0) {
        const carried = (requestsCarried.get(socket) ?? 0) + 1;
        requestsCarried.set(socket, carried);
        // The connection's last request: closed when its response ends, never handed back to the pool.
        if (carried >= limit) {
          request.shouldKeepAlive = false;
          stats.upstream_cx_max_requests.inc();
        }
      }
      if (!counted.has(socket)) {
        counted.add(socket);
        stats.upstream_cx_total.inc();
        stats.upstream_cx_active.inc();
        host.cxTotal++;
        host.cxActive++;
        socket.once('close', () => {
          stats.upstream_cx_active.dec();
          stats.upstream_cx_destroy.inc();
          host.cxActive--;
        });
      }
      if (socket.connecting) {
        connectTimer = setTimeout(() => {
          stats.upstream_cx_connect_timeout.inc();
          stats.upstream_cx_connect_fail.inc();
          host.cxConnectFail++;
          settle({ kind: 'connect-failure', error: new Error('connect timeout') });
        }, cluster.connectTimeoutMs);
        // A TLS connection is connected once its handshake and checks have passed.
        socket.once(socket instanceof tls.TLSSocket ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
      }
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      // A failed TLS handshake or peer check is a connect failure too (Envoy's UF).
      const refused = error.code === 'ECONNREFUSED' || error.code === 'EHOSTUNREACH' || error.code === 'ENETUNREACH' || error.code === 'EADDRNOTAVAIL' || isTlsHandshakeError(error);
      if (refused) {
        stats.upstream_cx_connect_fail.inc();
        host.cxConnectFail++;
      }
      settle({ kind: refused ? 'connect-failure' : 'reset', error });
    });
    // node hands over an upgraded connection with none of its own listeners: one for 'error' at
    // once, so a reset before the tunnel is joined cannot escape as an uncaught exception.
    if (options.upgrade) {
      request.on('upgrade', (response: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
        socket.on('error', () => undefined);
        if (settled) {
          socket.destroy();
          return;
        }
        settle({
          kind: 'upgraded',
          upgraded: {
            status: response.statusCode ?? 101,
            ...(response.statusMessage ? { statusMessage: response.statusMessage } : {}),
            headers: response.headers,
            socket,
            head,
            done: finishAccounting,
          },
        });
      });
    }
    request.on('response', (response) => {
      response.once('end', finishAccounting);
      response.once('close', finishAccounting);
      settle({
        kind: 'response',
        response: {
          status: response.statusCode ?? 502,
          ...(response.statusMessage ? { statusMessage: response.statusMessage } : {}),
          headers: response.headers,
          body: response,
          trailers: () => (Object.keys(response.trailers).length > 0 ? response.trailers : undefined),
          cancel: () => request.destroy(),
        },
      });
    });
    if (options.perTryTimeoutMs > 0) {
      tryTimer = setTimeout(() => {
        stats.upstream_rq_per_try_timeout.inc();
        settle({ kind: 'per-try-timeout' });
      }, options.perTryTimeoutMs);
    }
  });
  if (Buffer.isBuffer(options.body)) request.end(options.body);
  else options.body.pipe(request);
  return {
    result,
    abort: () => {
      request.destroy();
      finishAccounting();
    },
  };
}
