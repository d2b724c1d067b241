// One attempt over HTTP/2 (h2c, prior knowledge): one multiplexed session per
// upstream host, opened on first use and dropped when it closes or errs, when it
// has carried max_requests_per_connection streams, or after idle_timeout without any.
// gRPC needs this: its trailers (grpc-status) only exist in HTTP/2.
import http2 from 'node:http2';
import net from 'node:net';
import type { Cluster } from '../upstream/cluster.js';
import type { Host } from '../upstream/host.js';
import type { Headers } from './header-mutation.js';
import type { AttemptOptions, AttemptResult, UpstreamResponse } from './upstream-request.js';

interface PooledSession {
  session: http2.ClientHttp2Session;
  connected: Promise<void>;
  /** Streams promised to attempts (a session at the limit leaves the pool), and streams used or given up. */
  reserved: number;
  used: number;
  active: number;
  /** It has carried its max_requests_per_connection: closed once its last stream ends. */
  draining: boolean;
  idleTimer?: NodeJS.Timeout;
}

const pools = new WeakMap<Cluster, Map<Host, PooledSession>>();

function sessionFor(cluster: Cluster, host: Host): PooledSession {
  let pool = pools.get(cluster);
  if (!pool) {
    const created = new Map<Host, PooledSession>();
    pool = created;
    pools.set(cluster, created);
    cluster.onRelease.push(() => {
      for (const { session } of created.values()) session.destroy();
      created.clear();
    });
  }
  const existing = pool.get(host);
  if (existing && !existing.session.closed && !existing.session.destroyed) return reserve(cluster, pool, host, existing);
  const stats = cluster.stats;
  stats.upstream_cx_total.inc();
  host.cxTotal++;
  const source = cluster.sourceFor(host.address);
  const localAddress = source ? { localAddress: source.address } : {};
  const upstreamTls = cluster.tlsFor(host);
  const session = http2.connect(`http://${host.key}`, {
    // Over TLS, h2 is offered by ALPN unless the cluster names its own alpn_protocols.
    createConnection: () => upstreamTls
      ? upstreamTls.connect({ host: host.address, port: host.port, ...localAddress, defaultAlpn: ['h2'] })
      : net.connect({ host: host.address, port: host.port, ...localAddress }),
  });
  const connected = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stats.upstream_cx_connect_timeout.inc();
      session.destroy(new Error('connect timeout'));
    }, cluster.connectTimeoutMs);
    session.once('connect', () => {
      clearTimeout(timer);
      stats.upstream_cx_active.inc();
      host.cxActive++;
      session.once('close', () => {
        stats.upstream_cx_active.dec();
        stats.upstream_cx_destroy.inc();
        host.cxActive--;
      });
      resolve();
    });
    session.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    session.once('close', () => {
      clearTimeout(timer);
      reject(new Error('session closed before connecting'));
    });
  });
  // Failures after the connect surface on the streams; the session itself must not throw.
  session.on('error', () => undefined);
  connected.catch(() => {
    stats.upstream_cx_connect_fail.inc();
    host.cxConnectFail++;
  });
  const pooled: PooledSession = { session, connected, reserved: 0, used: 0, active: 0, draining: false };
  pool.set(host, pooled);
  session.once('close', () => {
    if (pooled.idleTimer) clearTimeout(pooled.idleTimer);
    if (pool!.get(host) === pooled) pool!.delete(host);
  });
  return reserve(cluster, pool, host, pooled);
}

/** Takes one stream of the session; the last one max_requests_per_connection allows takes it out of the pool. */
function reserve(cluster: Cluster, pool: Map<Host, PooledSession>, host: Host, pooled: PooledSession): PooledSession {
  const limit = cluster.httpPool.maxRequestsPerConnection;
  if (limit > 0 && ++pooled.reserved >= limit && pool.get(host) === pooled) pool.delete(host);
  return pooled;
}

/** A reserved stream opened (or given up): at the limit the session drains, and closes when its streams have finished. */
function streamUsed(cluster: Cluster, pooled: PooledSession, opened: boolean): void {
  const limit = cluster.httpPool.maxRequestsPerConnection;
  if (opened) {
    if (pooled.idleTimer) clearTimeout(pooled.idleTimer);
    pooled.active++;
  }
  if (limit > 0 && ++pooled.used >= limit && !pooled.draining) {
    pooled.draining = true;
    cluster.stats.upstream_cx_max_requests.inc();
  }
  if (!opened) streamEnded(cluster, pooled, false);
}

/** A drained session closes with its last stream; otherwise idle_timeout counts from the moment it has none. */
function streamEnded(cluster: Cluster, pooled: PooledSession, wasActive = true): void {
  if (wasActive) pooled.active--;
  if (pooled.draining) {
    // Closing while a stream is still being set up would cancel it: wait for the last one.
    if (pooled.active === 0 && !pooled.session.closed) pooled.session.close();
    return;
  }
  const idle = cluster.httpPool.idleTimeoutMs;
  if (pooled.active > 0 || idle <= 0 || pooled.session.closed) return;
  if (pooled.idleTimer) clearTimeout(pooled.idleTimer);
  pooled.idleTimer = setTimeout(() => pooled.session.close(), idle);
  pooled.idleTimer.unref();
}

/** HTTP/1-style headers (with host) to an HTTP/2 request head. */
function requestHead(options: AttemptOptions): http2.OutgoingHttpHeaders {
  const head: http2.OutgoingHttpHeaders = {
    ':method': options.method,
    ':path': options.path,
    ':scheme': 'http',
    ':authority': String(options.headers['host'] ?? options.host.key),
  };
  for (const [name, value] of Object.entries(options.headers)) {
    if (name === 'host' || name.startsWith(':') || value === undefined) continue;
    head[name] = value;
  }
  return head;
}

function plainHeaders(headers: http2.IncomingHttpHeaders): Headers {
  const out: Headers = {};
  for (const [name, value] of Object.entries(headers)) if (!name.startsWith(':')) out[name] = value;
  return out;
}

export function attemptH2(options: AttemptOptions): { result: Promise<AttemptResult>; abort(): void } {
  const { cluster, host } = options;
  const stats = cluster.stats;
  stats.upstream_rq_total.inc();
  stats.upstream_rq_active.inc();
  host.rqTotal++;
  host.activeRequests++;
  let accounted = false;
  const finishAccounting = () => {
    if (accounted) return;
    accounted = true;
    stats.upstream_rq_active.dec();
    host.activeRequests--;
  };
  let stream: http2.ClientHttp2Stream | undefined;
  let aborted = false;
  const result = (async (): Promise<AttemptResult> => {
    const pooled = sessionFor(cluster, host);
    try {
      await pooled.connected;
    } catch (error) {
      finishAccounting();
      host.rqError++;
      return { kind: 'connect-failure', error: error as Error };
    }
    if (aborted) {
      streamUsed(cluster, pooled, false);
      finishAccounting();
      return { kind: 'reset' };
    }
    return new Promise<AttemptResult>((resolve) => {
      let settled = false;
      let tryTimer: NodeJS.Timeout | undefined;
      const settle = (r: AttemptResult) => {
        if (settled) return;
        settled = true;
        if (tryTimer) clearTimeout(tryTimer);
        if (r.kind !== 'response') {
          finishAccounting();
          host.rqError++;
          s.close(http2.constants.NGHTTP2_CANCEL);
        }
        resolve(r);
      };
      const s = pooled.session.request(requestHead(options));
      stream = s;
      streamUsed(cluster, pooled, true);
      s.once('close', () => streamEnded(cluster, pooled));
      let trailers: Headers | undefined;
      s.on('trailers', (t) => (trailers = plainHeaders(t)));
      s.on('error', (error) => settle({ kind: 'reset', error }));
      s.once('close', () => {
        finishAccounting();
        settle({ kind: 'reset', refusedStream: s.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM });
      });
      s.once('response', (head) => {
        const response: UpstreamResponse = {
          status: Number(head[':status'] ?? 502),
          headers: plainHeaders(head),
          body: s,
          trailers: () => trailers,
          cancel: () => s.close(http2.constants.NGHTTP2_CANCEL),
        };
        settle({ kind: 'response', response });
      });
      if (options.perTryTimeoutMs > 0) {
        tryTimer = setTimeout(() => {
          stats.upstream_rq_per_try_timeout.inc();
          settle({ kind: 'per-try-timeout' });
        }, options.perTryTimeoutMs);
      }
      if (Buffer.isBuffer(options.body)) s.end(options.body);
      else options.body.pipe(s);
    });
  })();
  return {
    result,
    abort: () => {
      aborted = true;
      stream?.close(http2.constants.NGHTTP2_CANCEL);
      finishAccounting();
    },
  };
}
