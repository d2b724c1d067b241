// envoy.filters.http.router: sends a routed request to a host of its cluster,
// with the route's timeout and retry policy, and streams the response back.
import type http from 'node:http';
import type { Readable } from 'node:stream';
import { typeUrls } from '../config/protos.js';
import type { FactoryContext } from '../network-filters/network-filter.js';
import { pickWeighted } from '../network-filters/weighted-choice.js';
import type { Host } from '../upstream/host.js';
import type { Headers } from './header-mutation.js';
import type { HttpFilter, HttpRequestContext } from './http-filter.js';
import { registerHttpFilter } from './http-filter.js';
import { LOCAL_REPLY, sendLocalReply } from './local-reply.js';
import { parseGrpcTimeout, rewritePath } from './route-config.js';
import type { RouteAction } from './route-config.js';
import { attempt } from './upstream-request.js';
import type { AttemptResult, UpstreamResponse } from './upstream-request.js';
import { backoffMs, shouldRetry } from './retry-decision.js';
import { NO_MIRRORS, selectMirrors, sendShadow } from './request-mirror.js';

/** Hop-by-hop headers are about one connection and never forwarded ("te: trailers" is kept: gRPC needs it). */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'trailer'];

/** An allowed upgrade keeps Connection and Upgrade, verbatim, as Envoy forwards them. */
function dropHopByHop(headers: Headers, keepUpgrade = false): void {
  for (const h of HOP_BY_HOP) if (!keepUpgrade || (h !== 'connection' && h !== 'upgrade')) delete headers[h];
  if (headers['te'] !== undefined && String(headers['te']).toLowerCase() !== 'trailers') delete headers['te'];
}

const UPGRADE_OVER_HTTP2 = 'upgrade over an HTTP/2 upstream (extended CONNECT) is not supported';

/** Envoy buffers at most this much request body for retries and shadows; beyond it the request is neither retried nor mirrored. */
export const RETRY_BUFFER_LIMIT = 1 << 20;

interface RouterOptions {
  suppressEnvoyHeaders: boolean;
  context: FactoryContext;
}

type ClusterAction = Extract<RouteAction, { kind: 'cluster' }>;

class Router implements HttpFilter {
  constructor(private readonly options: RouterOptions) {}

  decodeHeaders(ctx: HttpRequestContext): 'stop' {
    void this.route(ctx).catch(() => sendLocalReply(ctx, 500, 'internal error'));
    return 'stop';
  }

  private async route(ctx: HttpRequestContext): Promise<void> {
    const selection = ctx.selection;
    if (!selection) {
      ctx.stats.no_route.inc();
      ctx.responseFlags.add('NR');
      sendLocalReply(ctx, 404, '', {}, 'route_not_found');
      return;
    }
    const { route, virtualHost } = selection;
    const action = route.action;
    if (action.kind === 'direct') {
      ctx.stats.rq_direct_response.inc();
      const extra: Headers = {};
      route.responseHeaders.apply(extra);
      sendLocalReply(ctx, action.status, action.body ?? '', extra as http.OutgoingHttpHeaders, 'direct_response');
      return;
    }
    if (action.kind === 'redirect') {
      ctx.stats.rq_redirect.inc();
      sendLocalReply(ctx, action.status, '', { location: redirectLocation(ctx, action) }, 'direct_response');
      return;
    }
    await this.forward(ctx, action, virtualHost.includeAttemptCount, virtualHost.includeAttemptCountInResponse);
  }

  private async forward(ctx: HttpRequestContext, action: ClusterAction, attemptCountUp: boolean, attemptCountDown: boolean): Promise<void> {
    const { context, suppressEnvoyHeaders } = this.options;
    const choice = action.clusters.length === 1 ? action.clusters[0] : pickWeighted(action.clusters, context.random());
    const cluster = choice ? context.clusterManager.get(choice.name) : undefined;
    if (!cluster) {
      ctx.stats.no_cluster.inc();
      ctx.responseFlags.add('NC');
      sendLocalReply(ctx, action.clusterNotFoundStatus, '', {}, 'cluster_not_found');
      return;
    }
    // Circuit breaker: past max_requests (or max_connections + max_pending_requests) fail fast.
    if (!cluster.circuitBreakers.canRequest(cluster.stats.upstream_rq_active.value)) {
      ctx.responseFlags.add('UO');
      sendLocalReply(ctx, 503, LOCAL_REPLY.overflow, {}, 'overflow');
      return;
    }
    ctx.upstreamCluster = cluster.name;
    const selection = ctx.selection!;
    const headers = ctx.headers;
    const upgrade = ctx.upgrade;
    const protocol = cluster.httpProtocol === 'downstream' ? ctx.downstreamProtocol : cluster.httpProtocol;
    if (upgrade && protocol === 'http2') {
      // Envoy would carry it as extended CONNECT (RFC 8441), which the proxy does not speak upstream.
      ctx.responseFlags.add('UPE');
      sendLocalReply(ctx, 503, UPGRADE_OVER_HTTP2, {}, 'upgrade_failed');
      return;
    }
    dropHopByHop(headers, upgrade !== undefined);
    selection.route.requestHeaders.apply(headers);
    if (action.hostRewrite !== undefined) headers['host'] = action.hostRewrite;
    const path = action.prefixRewrite !== undefined ? rewritePath(ctx.path, action.matchedPrefix ?? '', action.prefixRewrite) : ctx.path;
    // gRPC clients state their deadline; with grpc_timeout_header_max it becomes the route timeout.
    let timeoutMs = action.timeoutMs;
    const grpcDeadline = action.grpcTimeout ? parseGrpcTimeout(joinedHeader(headers['grpc-timeout'])) : undefined;
    if (action.grpcTimeout && grpcDeadline !== undefined) {
      const { maxMs, offsetMs } = action.grpcTimeout;
      timeoutMs = Math.max(1, (maxMs > 0 ? Math.min(grpcDeadline, maxMs) : grpcDeadline) - offsetMs);
    }
    if (!suppressEnvoyHeaders && timeoutMs > 0) headers['x-envoy-expected-rq-timeout-ms'] = String(Math.round(timeoutMs));

    const retry = action.retry;
    const maxAttempts = 1 + (retry?.numRetries ?? 0);
    // Envoy does not shadow upgrades. An upgrade request has no body of its own (what follows its
    // head is the tunnel's, sent after the 101), so its attempts are replayable.
    const mirrors = action.mirrors.length > 0 && !upgrade ? selectMirrors(action.mirrors, context.random) : NO_MIRRORS;
    const buffering = maxAttempts > 1 || mirrors.length > 0;
    const body: Buffer | Readable = upgrade ? Buffer.alloc(0) : buffering ? await bufferBody(ctx.request) : ctx.request;
    const retryable = Buffer.isBuffer(body) || maxAttempts === 1;
    if (buffering && !Buffer.isBuffer(body)) cluster.stats.retry_or_shadow_abandoned.inc();
    if (Buffer.isBuffer(body)) {
      for (const mirror of mirrors) {
        sendShadow(mirror, {
          method: ctx.request.method ?? 'GET', path, headers, body, timeoutMs, downstreamProtocol: ctx.downstreamProtocol,
          ...(ctx.downstreamLocalAddress ? { downstreamLocalAddress: ctx.downstreamLocalAddress } : {}),
        }, context.clusterManager);
      }
    }

    let globalTimedOut = false;
    let current: { abort(): void } | undefined;
    const globalTimer = timeoutMs > 0
      ? setTimeout(() => {
        globalTimedOut = true;
        cluster.stats.upstream_rq_timeout.inc();
        ctx.responseFlags.add('UT');
        current?.abort();
        sendLocalReply(ctx, 504, LOCAL_REPLY.timeout, {}, 'response_timeout');
      }, timeoutMs)
      : undefined;
    ctx.response.once('close', () => {
      // The client went away before the response finished: stop the upstream work.
      // (IncomingMessage's own 'close' only means the request body was read.)
      if (!ctx.response.writableFinished) {
        ctx.stats.downstream_rq_rx_reset.inc();
        current?.abort();
      }
    });

    const hash = action.hash?.({ header: (name) => joinedHeader(headers[name]), sourceIp: ctx.request.socket.remoteAddress ?? '', path: ctx.path });
    const tried = new Set<Host>();
    let last: AttemptResult | undefined;
    let retrying = false;
    for (let n = 1; n <= maxAttempts && !globalTimedOut; n++) {
      const host = cluster.chooseHost({
        excludedHosts: tried,
        ...(hash !== undefined ? { hash } : {}),
        ...(ctx.downstreamLocalAddress ? { downstreamLocalAddress: ctx.downstreamLocalAddress } : {}),
      });
      if (!host) {
        ctx.responseFlags.add('UH');
        if (globalTimer) clearTimeout(globalTimer);
        sendLocalReply(ctx, 503, LOCAL_REPLY.noHealthyUpstream, {}, 'no_healthy_upstream');
        return;
      }
      tried.add(host);
      ctx.upstreamHost = host.key;
      if (attemptCountUp) headers['x-envoy-attempt-count'] = String(n);
      const started = Date.now();
      const a = attempt({ cluster, host, method: ctx.request.method ?? 'GET', path, headers, body, perTryTimeoutMs: retry?.perTryTimeoutMs ?? 0, protocol, ...(upgrade ? { upgrade: true } : {}) });
      current = a;
      last = await a.result;
      if (retrying) {
        cluster.circuitBreakers.endRetry();
        retrying = false;
      }
      cluster.reportOutcome(host, last.kind === 'response' ? { kind: 'http', status: last.response.status } : last.kind === 'upgraded' ? { kind: 'http', status: last.upgraded.status } : { kind: 'local-failure' });
      if (globalTimedOut) {
        if (last.kind === 'response') last.response.cancel();
        if (last.kind === 'upgraded') last.upgraded.socket.destroy();
        return;
      }
      // The server switched protocols: from here on it is a tunnel, never retried or timed out by the route.
      if (last.kind === 'upgraded') {
        if (globalTimer) clearTimeout(globalTimer);
        countResponse(cluster.stats.upstream_rq_class, last.upgraded.status);
        const downstreamHeaders = this.responseHeaders(ctx, last.upgraded.headers, Date.now() - started, attemptCountDown ? n : undefined, true);
        ctx.responseCodeDetails = 'via_upstream';
        const upgraded = last.upgraded;
        upgrade!.accept(upgraded, downstreamHeaders, () => {
          upgraded.done();
          cluster.stats.upstream_rq_completed.inc();
        });
        return;
      }
      const grpcStatus = last.kind === 'response' ? last.response.headers['grpc-status'] : undefined;
      const outcome = last.kind === 'response'
        ? { kind: 'response' as const, status: last.response.status, ...(grpcStatus !== undefined ? { grpcStatus: Number(grpcStatus) } : {}) }
        : last.kind === 'reset' ? { kind: 'reset' as const, refusedStream: last.refusedStream === true } : { kind: last.kind };
      // A retry also needs room under the cluster's max_retries (concurrent retries).
      if (n < maxAttempts && retryable && shouldRetry(retry, outcome) && cluster.circuitBreakers.tryRetry()) {
        retrying = true;
        cluster.stats.upstream_rq_retry.inc();
        if (last.kind === 'response') {
          countResponse(cluster.stats.upstream_rq_class, last.response.status);
          last.response.body.resume();
        }
        await new Promise((r) => setTimeout(r, backoffMs(n, context.random())));
        continue;
      }
      if (globalTimer) clearTimeout(globalTimer);
      if (last.kind === 'response') {
        this.respond(ctx, last.response, Date.now() - started, cluster.stats.upstream_rq_class, cluster.stats.upstream_rq_completed, attemptCountDown ? n : undefined);
        return;
      }
      break;
    }
    if (globalTimedOut || !last || last.kind === 'response' || last.kind === 'upgraded') return;
    if (tried.size > 1) ctx.responseFlags.add('URX');
    if (last.kind === 'connect-failure') {
      ctx.responseFlags.add('UF');
      sendLocalReply(ctx, 503, LOCAL_REPLY.connectFailure, {}, 'upstream_reset_before_response_started{connection_failure}');
    } else if (last.kind === 'per-try-timeout') {
      ctx.responseFlags.add('UT');
      sendLocalReply(ctx, 504, LOCAL_REPLY.timeout, {}, 'upstream_per_try_timeout');
    } else {
      ctx.responseFlags.add('UC');
      sendLocalReply(ctx, 503, LOCAL_REPLY.reset, {}, 'upstream_reset_before_response_started{connection_termination}');
    }
  }

  /** The upstream's response headers as the client gets them (an accepted upgrade keeps Connection and Upgrade). */
  private responseHeaders(ctx: HttpRequestContext, upstream: Headers, serviceTimeMs: number, attemptCount: number | undefined, upgraded = false): Headers {
    const headers: Headers = { ...upstream };
    dropHopByHop(headers, upgraded);
    delete headers['te'];
    if (!this.options.suppressEnvoyHeaders) headers['x-envoy-upstream-service-time'] = String(serviceTimeMs);
    if (attemptCount !== undefined) headers['x-envoy-attempt-count'] = String(attemptCount);
    const server = ctx.server;
    if (server.transformation === 'OVERWRITE' || (server.transformation === 'APPEND_IF_ABSENT' && headers['server'] === undefined)) headers['server'] = server.name;
    ctx.selection!.route.responseHeaders.apply(headers);
    return headers;
  }

  private respond(ctx: HttpRequestContext, upstream: UpstreamResponse, serviceTimeMs: number, classes: readonly { inc(): void }[], completed: { inc(): void }, attemptCount: number | undefined): void {
    const status = upstream.status;
    countResponse(classes, status);
    completed.inc();
    const headers = this.responseHeaders(ctx, upstream.headers, serviceTimeMs, attemptCount);
    const res = ctx.response;
    if (res.headersSent) {
      upstream.cancel();
      return;
    }
    // setHeader, not writeHead's object form, so the access log can read them back.
    for (const [name, value] of Object.entries(headers)) if (value !== undefined) res.setHeader(name, value);
    // HTTP/2 has no reason phrase.
    if (ctx.downstreamProtocol === 'http1' && upstream.statusMessage) res.writeHead(status, upstream.statusMessage);
    else res.writeHead(status);
    ctx.responseCodeDetails = 'via_upstream';
    const body = upstream.body;
    let ended = false;
    body.on('data', (chunk: Buffer) => (ctx.bytesSent += chunk.length));
    body.pipe(res as unknown as NodeJS.WritableStream, { end: false });
    body.once('end', () => {
      ended = true;
      // Trailers (gRPC's grpc-status) can only travel on HTTP/2 downstream connections.
      const trailers = upstream.trailers();
      if (trailers && ctx.downstreamProtocol === 'http2') res.addTrailers(trailers as http.OutgoingHttpHeaders);
      res.end();
    });
    body.once('error', () => res.destroy());
    body.once('close', () => {
      // A reset mid-body: the client must see the failure, not a truncated success.
      if (!ended) res.destroy();
    });
  }
}

function joinedHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

function countResponse(classes: readonly { inc(): void }[], status: number): void {
  const c = Math.floor(status / 100);
  if (c >= 1 && c <= 5) classes[c - 1]!.inc();
}

function bufferBody(request: Readable): Promise<Buffer | Readable> {
  // An HTTP/2 request whose HEADERS frame ended the stream may have ended before anyone listened.
  if (request.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      chunks.push(chunk);
      if (size > RETRY_BUFFER_LIMIT) {
        // Too big to replay: send it once, as a stream, starting with what was read.
        request.pause();
        request.removeAllListeners('data');
        request.removeAllListeners('end');
        request.unshift(Buffer.concat(chunks));
        resolve(request);
      }
    });
    request.once('end', () => resolve(Buffer.concat(chunks)));
  });
}

function redirectLocation(ctx: HttpRequestContext, action: Extract<RouteAction, { kind: 'redirect' }>): string {
  const hostHeader = String(ctx.request.headers.host ?? '');
  const colon = hostHeader.lastIndexOf(':');
  const originalHost = colon > 0 && !hostHeader.endsWith(']') ? hostHeader.slice(0, colon) : hostHeader;
  const originalPort = colon > 0 && !hostHeader.endsWith(']') ? hostHeader.slice(colon + 1) : '';
  const scheme = action.scheme ?? 'http';
  const host = action.host ?? originalHost;
  // A scheme change drops the old port unless one is given (Envoy does the same).
  const port = action.port ? String(action.port) : action.scheme !== undefined || action.host !== undefined ? '' : originalPort;
  let path = ctx.path;
  const q = path.indexOf('?');
  const query = q < 0 ? '' : path.slice(q);
  path = q < 0 ? path : path.slice(0, q);
  if (action.path !== undefined) path = action.path;
  else if (action.prefixRewrite !== undefined) path = rewritePath(path, action.matchedPrefix ?? '', action.prefixRewrite);
  const defaultPort = (scheme === 'http' && port === '80') || (scheme === 'https' && port === '443');
  return `${scheme}://${host}${port && !defaultPort ? `:${port}` : ''}${path}${action.stripQuery || (action.path !== undefined && action.path.includes('?')) ? '' : query}`;
}

registerHttpFilter({
  names: ['envoy.filters.http.router', 'envoy.router'],
  typeUrl: typeUrls.router,
  factory: {
    terminal: true,
    create(typedConfig, context) {
      const options: RouterOptions = { suppressEnvoyHeaders: typedConfig?.['suppress_envoy_headers'] === true, context };
      return () => new Router(options);
    },
  },
});
