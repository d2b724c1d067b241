// envoy.filters.network.http_connection_manager over HTTP/1.1: node's HTTP
// parser (strict: conflicting Content-Length/Transfer-Encoding, oversized or
// malformed heads are rejected) adopts the connection; each request gets
// Envoy's request-id and forwarding headers, is routed by the inline
// route_config, and runs through the HTTP filters, the router last. Upgrade
// requests (WebSocket) take the same path once upgrade_configs allow them, and
// become a tunnel on the upstream's 101.
import http from 'node:http';
import http2 from 'node:http2';
import { randomUUID } from 'node:crypto';
import type net from 'node:net';
import { unmapIpv4 } from '../cidr.js';
import { ConfigError } from '../config/errors.js';
import { durationMs } from '../config/duration.js';
import type { JsonObject } from '../config/proto-json.js';
import { typeUrls } from '../config/protos.js';
import type { DownstreamConnection } from '../downstream.js';
import type { Headers } from '../http/header-mutation.js';
import { httpFilterFactory, matchableHeader, runDecodeHeaders } from '../http/http-filter.js';
import type { HttpFilter, HttpRequestContext } from '../http/http-filter.js';
import { HttpStats } from '../http/http-stats.js';
import { compileRouteConfig, selectRoute } from '../http/route-config.js';
import type { CompiledRouteConfig } from '../http/route-config.js';
import type { AccessLogInfo } from '../access-log/access-log-info.js';
import { compileUpgradeConfigs, isH2cUpgrade, upgradeAllowed } from '../http/upgrade-config.js';
import type { UpgradeConfigInput } from '../http/upgrade-config.js';
import { replayAsPlainRequest, responseOnUpgradeSocket, switchToTunnel } from '../http/upgrade-downstream.js';
import { sendLocalReply } from '../http/local-reply.js';
// The built-in HTTP filters register themselves on import.
import '../http/router.js';
import '../http/fault.js';
import { buildAccessLogs } from '../access-log/access-log.js';
import type { AccessLogger } from '../access-log/access-log.js';
import { registerNetworkFilter } from './network-filter.js';
import type { FactoryContext, NetworkFilter } from './network-filter.js';

interface HcmConfig {
  stat_prefix: string;
  codec_type?: 'AUTO' | 'HTTP1' | 'HTTP2' | 'HTTP3';
  route_config?: JsonObject;
  rds?: { route_config_name?: string; config_source?: JsonObject };
  normalize_path?: boolean;
  stream_idle_timeout?: string;
  http_filters?: { name: string; typed_config?: JsonObject }[];
  use_remote_address?: boolean;
  skip_xff_append?: boolean;
  generate_request_id?: boolean;
  preserve_external_request_id?: boolean;
  always_set_request_id_in_response?: boolean;
  max_request_headers_kb?: number;
  request_headers_timeout?: string;
  request_timeout?: string;
  server_name?: string;
  server_header_transformation?: 'OVERWRITE' | 'APPEND_IF_ABSENT' | 'PASS_THROUGH';
  strip_any_host_port?: boolean;
  common_http_protocol_options?: { idle_timeout?: string; max_requests_per_connection?: number };
  access_log?: { name: string; typed_config?: JsonObject }[];
  upgrade_configs?: UpgradeConfigInput[];
}

/**
 * The DownstreamConnection behind a socket the HTTP servers own. A property on the socket (not a
 * WeakMap) because HTTP/2's compatibility API hands out a proxy of the socket, which forwards it.
 */
const DOWNSTREAM = Symbol('outrigger.downstream');
type TaggedSocket = net.Socket & { [DOWNSTREAM]?: DownstreamConnection };

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Envoy's defaults: 60 KiB of request headers, one hour of connection idleness. */
const DEFAULT_MAX_HEADERS_KB = 60;
const DEFAULT_IDLE_TIMEOUT_MS = 3_600_000;

interface HcmRuntime {
  server: http.Server;
  /** HTTP/2 with prior knowledge (h2c), for codec_type HTTP2 and AUTO. */
  server2: http2.Http2Server;
  codec: 'AUTO' | 'HTTP1' | 'HTTP2';
  stats: HttpStats;
}

function build(typedConfig: JsonObject | undefined, context: FactoryContext, path: string): HcmRuntime {
  const config = typedConfig as unknown as HcmConfig;
  const where = `${path}.typed_config`;
  if (config.codec_type === 'HTTP3') throw new ConfigError('codec_type HTTP3 is not supported by the outrigger proxy', `${where}.codec_type`);
  // Only "no stream idle timeout" (0s, what Istio sets) is implemented: refuse any other value rather than ignore it.
  if (config.stream_idle_timeout !== undefined && durationMs(config.stream_idle_timeout, 0) !== 0) {
    throw new ConfigError(`stream_idle_timeout ${config.stream_idle_timeout} is not supported by the outrigger proxy (only 0s, disabled)`, `${where}.stream_idle_timeout`);
  }
  // Routes come inline, or by name from RDS (looked up per request, so an update applies at once).
  let routesNow: () => CompiledRouteConfig | undefined;
  if (config.rds) {
    const name = config.rds.route_config_name;
    if (!name) throw new ConfigError('rds.route_config_name is required', `${where}.rds`);
    if (!context.routeConfigs) throw new ConfigError('RDS needs a dynamic route source (run with an xDS client)', `${where}.rds`);
    const providers = context.routeConfigs;
    routesNow = () => providers.get(name);
  } else {
    if (!config.route_config) throw new ConfigError('route_config or rds is required', where);
    const inline: CompiledRouteConfig = compileRouteConfig(config.route_config as never, `${where}.route_config`);
    if ((config.route_config as { validate_clusters?: boolean }).validate_clusters === true) validateClusters(config.route_config, context, `${where}.route_config`);
    routesNow = () => inline;
  }
  const filterSpecs = config.http_filters ?? [];
  if (filterSpecs.length === 0) throw new ConfigError('http_filters must end with envoy.filters.http.router', `${where}.http_filters`);
  const filters: HttpFilter[] = filterSpecs.map((f, i) => {
    const fPath = `${where}.http_filters[${i}]("${f.name}")`;
    const factory = httpFilterFactory(f.name, f.typed_config, fPath);
    if (factory.terminal !== (i === filterSpecs.length - 1)) {
      throw new ConfigError(factory.terminal ? `"${f.name}" is terminal and must be the last HTTP filter` : `the last HTTP filter must be terminal (envoy.filters.http.router), not "${f.name}"`, fPath);
    }
    return factory.create(f.typed_config, { ...context, filterName: f.name, statPrefix: config.stat_prefix }, fPath)();
  });

  const stats = new HttpStats(context.stats, config.stat_prefix);
  // Envoy's default is no limit (0).
  const maxRequestsPerConnection = config.common_http_protocol_options?.max_requests_per_connection ?? 0;
  const accessLogs: AccessLogger[] = buildAccessLogs(config.access_log, `${where}.access_log`);
  const useRemoteAddress = config.use_remote_address === true;
  const generateRequestId = config.generate_request_id ?? true;
  const serverInfo = { name: config.server_name || 'envoy', transformation: config.server_header_transformation ?? 'OVERWRITE' } as const;
  const stripPort = config.strip_any_host_port === true;
  const normalizePath = config.normalize_path === true;

  const requestTimeout = durationMs(config.request_timeout, 0);
  const headersTimeout = durationMs(config.request_headers_timeout, 0);
  const effectiveHeadersTimeout = headersTimeout > 0 ? headersTimeout : requestTimeout > 0 ? Math.min(requestTimeout, 60_000) : 60_000;
  const server = http.createServer({
    maxHeaderSize: (config.max_request_headers_kb ?? DEFAULT_MAX_HEADERS_KB) * 1024,
    keepAliveTimeout: durationMs(config.common_http_protocol_options?.idle_timeout, DEFAULT_IDLE_TIMEOUT_MS),
    requestTimeout,
    // Node's parser needs a headers timeout; without Envoy's request_headers_timeout we keep
    // node's 60 s (or the request timeout, if shorter), which also bounds slowloris clients.
    headersTimeout: effectiveHeadersTimeout,
    // Node enforces both timeouts on a periodic sweep (30 s by default); sweep often enough to honour them.
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(effectiveHeadersTimeout / 4))),
    joinDuplicateHeaders: true,
  });
  // Node answers the last allowed request with "connection: close" and closes after it, as Envoy does.
  if (maxRequestsPerConnection > 0) server.maxRequestsPerSocket = maxRequestsPerConnection;

  // A client that sends its request and half-closes (printf … | nc -N) still gets its response:
  // node's server otherwise ends the socket at the client's FIN, before we could answer.
  (server as http.Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  // The server never listens (connections are handed to it), but its timeout sweep starts on
  // 'listening'; without it request_headers_timeout and request_timeout would not be enforced.
  server.emit('listening');

  const upgrades = compileUpgradeConfigs(config.upgrade_configs, `${where}.upgrade_configs`);

  /**
   * A request from the moment its head is parsed: counted, given Envoy's request-id and forwarding
   * headers, routed. `finish` counts and logs it once its response is over, however it ended.
   */
  const begin = (req: http.IncomingMessage, res: http.ServerResponse, upgrade = false): { ctx: HttpRequestContext; finish(response: FinishedResponse): void } => {
    stats.downstream_rq_total.inc();
    const h2 = req.httpVersion === '2.0';
    (h2 ? stats.downstream_rq_http2_total : stats.downstream_rq_http1_total).inc();
    stats.downstream_rq_active.inc();
    const headers: Headers = {};
    // One header shape whatever the client spoke: no pseudo-headers, :authority as host.
    for (const [name, value] of Object.entries(req.headers)) if (!name.startsWith(':')) headers[name] = value;
    if (h2 && headers['host'] === undefined && req.headers[':authority'] !== undefined) headers['host'] = req.headers[':authority'];
    // x-request-id: kept when it comes from inside the mesh, made up otherwise.
    let requestId = headers['x-request-id'] as string | undefined;
    if (generateRequestId && (!requestId || (useRemoteAddress && !config.preserve_external_request_id))) {
      requestId = randomUUID();
      headers['x-request-id'] = requestId;
    }
    if (requestId && config.always_set_request_id_in_response) res.setHeader('x-request-id', requestId);
    const remote = unmapIpv4(req.socket.remoteAddress ?? '');
    if (useRemoteAddress) {
      if (!config.skip_xff_append) {
        const xff = headers['x-forwarded-for'];
        headers['x-forwarded-for'] = xff ? `${String(xff)},${remote}` : remote;
      }
      headers['x-forwarded-proto'] = 'http';
    } else if (headers['x-forwarded-proto'] === undefined) headers['x-forwarded-proto'] = 'http';

    const path = normalizePath ? normalizedPath(req.url ?? '/') : (req.url ?? '/');
    const ctx: HttpRequestContext = {
      request: req,
      response: res,
      headers,
      path,
      selection: selectFrom(routesNow(), String(headers['host'] ?? ''), { path, header: (name) => matchableHeader(headers, req.method ?? 'GET', path, name) }, stripPort),
      requestId: requestId ?? '',
      startedAt: Date.now(),
      stats,
      responseFlags: new Set(),
      server: serverInfo,
      bytesReceived: 0,
      bytesSent: 0,
      downstreamProtocol: h2 ? 'http2' : 'http1',
    };
    const downstream = (req.socket as TaggedSocket)[DOWNSTREAM];
    if (downstream) ctx.downstreamLocalAddress = downstream.localAddress;
    const peer = accessLogs.length > 0 ? peerOf(req.socket) : undefined;
    // An upgrade request's "body" is the tunnel, counted there; reading the request would start the
    // socket flowing with nobody listening, and lose the client's first bytes.
    if (peer && !upgrade) req.on('data', (chunk: Buffer) => (ctx.bytesReceived += chunk.length));
    let finished = false;
    const finish = (response: FinishedResponse) => {
      if (finished) return;
      finished = true;
      stats.downstream_rq_active.dec();
      stats.downstream_rq_completed.inc();
      const c = Math.floor(response.classStatus / 100);
      if (c >= 1 && c <= 5) stats.downstream_rq_class[c - 1]!.inc();
      if (!peer) return;
      const info = httpLogInfo(ctx, req, peer, response);
      for (const logger of accessLogs) logger.log(info);
    };
    return { ctx, finish };
  };

  /** The usual end of a request: its response closed (written, or the client went away). */
  const finishOnClose = (res: http.ServerResponse, ctx: HttpRequestContext, finish: (response: FinishedResponse) => void) => {
    res.once('close', () => {
      if (!res.writableFinished) ctx.responseFlags.add('DC');
      finish(responseOf(res));
    });
  };

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const { ctx, finish } = begin(req, res);
    finishOnClose(res, ctx, finish);
    runDecodeHeaders(filters, ctx);
  };
  server.on('request', onRequest);

  /**
   * An HTTP/1.1 upgrade request (node parses it, then hands over the socket). As in Envoy it is
   * routed like any request, then allowed or refused by upgrade type — the route's upgrade_configs,
   * else the connection manager's — before any HTTP filter runs: refused is a 403
   * (downstream_rq_ws_on_non_ws_route); allowed goes through the filters to the router, which
   * answers with the upstream's 101 and a tunnel, or with whatever else the upstream (or a filter)
   * answered. h2c is not an upgrade Envoy makes: that request is served as plain HTTP/1.1.
   */
  const onUpgrade = (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    // node leaves the socket without listeners: a reset from here on must not reach the process.
    socket.on('error', () => undefined);
    if (req.method !== 'CONNECT' && isH2cUpgrade(req.headers)) {
      replayAsPlainRequest(server, req, socket, head);
      return;
    }
    const res = responseOnUpgradeSocket(req, socket);
    const { ctx, finish } = begin(req, res, true);
    finishOnClose(res, ctx, finish);
    // CONNECT is an upgrade type of its own in Envoy, and never configured here.
    const type = req.method === 'CONNECT' ? 'connect' : String(req.headers['upgrade'] ?? '').trim().toLowerCase();
    const action = ctx.selection?.route.action;
    if (type === 'connect' || !upgradeAllowed(type, upgrades, action?.kind === 'cluster' ? action.upgrades : undefined)) {
      stats.downstream_rq_ws_on_non_ws_route.inc();
      sendLocalReply(ctx, 403, '', {}, 'upgrade_failed');
      return;
    }
    // Counted from here until the stream ends, whether or not the upstream switches (as in Envoy).
    stats.downstream_cx_upgrades_total.inc();
    stats.downstream_cx_upgrades_active.inc();
    let upgradeOpen = true;
    const upgradeEnded = () => {
      if (!upgradeOpen) return;
      upgradeOpen = false;
      stats.downstream_cx_upgrades_active.dec();
    };
    res.once('close', upgradeEnded);
    ctx.upgrade = {
      type,
      accept: (upstream, responseHeaders, done) => {
        const sentHeaders: Headers = { ...responseHeaders, date: new Date().toUTCString() };
        // The stream ends when the tunnel closes: the request is counted and logged then, with its bytes.
        const tunnelled = switchToTunnel({ res, socket, head }, upstream, sentHeaders, {
          received: (n) => (ctx.bytesReceived += n),
          sent: (n) => (ctx.bytesSent += n),
          closed: (outcome) => {
            done();
            upgradeEnded();
            if (outcome.reset === 'downstream') ctx.responseFlags.add('DC');
            if (outcome.reset === 'upstream') ctx.responseFlags.add('UC');
            finish({ classStatus: 101, code: 101, header: (name) => joined(sentHeaders[name]) });
          },
        });
        // The client left while the upstream was switching (and was counted then).
        if (!tunnelled) done();
      },
    };
    runDecodeHeaders(filters, ctx);
  };
  server.on('upgrade', onUpgrade);
  server.on('connect', onUpgrade);

  const server2 = http2.createServer({ maxHeaderListPairs: 1000, maxSendHeaderBlockLength: (config.max_request_headers_kb ?? DEFAULT_MAX_HEADERS_KB) * 1024 });
  // The compatibility API gives HTTP/2 streams the request/response shape the filters use.
  server2.on('request', (req, res) => onRequest(req as unknown as http.IncomingMessage, res as unknown as http.ServerResponse));
  // Protocol errors end the session or stream; they must never reach the process.
  server2.on('sessionError', () => stats.downstream_cx_protocol_error.inc());
  server2.on('streamError', () => undefined);
  server2.on('session', (session) => {
    session.on('error', () => undefined);
    // HTTP/2 ends a connection that has carried its requests with GOAWAY: streams already open finish.
    if (maxRequestsPerConnection > 0) {
      let streams = 0;
      session.on('stream', () => {
        if (++streams === maxRequestsPerConnection) session.close();
      });
    }
  });

  // Malformed heads, smuggling attempts (Content-Length with Transfer-Encoding), oversized headers
  // and slow clients end here: answer, close, and never let it reach the rest of the process.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: net.Socket) => {
    stats.downstream_cx_protocol_error.inc();
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    if (status === 408) stats.downstream_rq_timeout.inc();
    const reason = http.STATUS_CODES[status] ?? 'Bad Request';
    if (socket.writable && !(socket as net.Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
      socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-length: ${reason.length}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${reason}`);
    }
    socket.destroy();
  });
  return { server, server2, codec: config.codec_type === 'HTTP2' ? 'HTTP2' : config.codec_type === 'HTTP1' ? 'HTTP1' : 'AUTO', stats };
}

function address(ip: string | undefined, port: number | undefined): string {
  const plain = unmapIpv4(ip ?? '');
  return plain.includes(':') ? `[${plain}]:${port ?? 0}` : `${plain}:${port ?? 0}`;
}

/** How a request's response ended, for the stats and the access log. */
interface FinishedResponse {
  /** The status counted in downstream_rq_<N>xx (node's default 200 when nothing was sent, as before). */
  classStatus: number;
  /** The status logged: 0 when no response head reached the client. */
  code: number;
  header(name: string): string | undefined;
}

function responseOf(res: http.ServerResponse): FinishedResponse {
  return {
    classStatus: res.statusCode,
    code: res.headersSent ? res.statusCode : 0,
    header: (name) => {
      const v = res.getHeader(name);
      return v === undefined ? undefined : Array.isArray(v) ? v.join(',') : String(v);
    },
  };
}

/** The connection's addresses, read when the request starts: a tunnel is logged after its socket has closed. */
interface Peer {
  local: string;
  remote: string;
}

function peerOf(socket: net.Socket): Peer {
  return { local: address(socket.localAddress, socket.localPort), remote: address(socket.remoteAddress, socket.remotePort) };
}

function httpLogInfo(ctx: HttpRequestContext, req: http.IncomingMessage, peer: Peer, response: FinishedResponse): AccessLogInfo {
  const pseudo: Record<string, string | undefined> = { ':method': req.method, ':path': ctx.path, ':authority': joined(ctx.headers['host']), ':scheme': 'http' };
  return {
    startTime: ctx.startedAt,
    durationMs: Date.now() - ctx.startedAt,
    protocol: req.httpVersion === '2.0' ? 'HTTP/2' : `HTTP/${req.httpVersion}`,
    responseCode: response.code,
    responseFlags: ctx.responseFlags,
    ...(ctx.responseCodeDetails !== undefined ? { responseCodeDetails: ctx.responseCodeDetails } : {}),
    bytesReceived: ctx.bytesReceived,
    bytesSent: ctx.bytesSent,
    requestHeader: (name) => (name.startsWith(':') ? pseudo[name] : joined(ctx.headers[name])),
    responseHeader: (name) => response.header(name),
    ...(ctx.upstreamHost !== undefined ? { upstreamHost: ctx.upstreamHost } : {}),
    ...(ctx.upstreamCluster !== undefined ? { upstreamCluster: ctx.upstreamCluster } : {}),
    downstreamLocalAddress: peer.local,
    downstreamRemoteAddress: peer.remote,
    downstreamDirectRemoteAddress: peer.remote,
    ...(ctx.selection?.route.name ? { routeName: ctx.selection.route.name } : {}),
  };
}

function joined(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * normalize_path: the path with "." and ".." segments resolved (RFC 3986 §5.2.4) before
 * routing and forwarding, so "/public/../admin" cannot slip past a "/public" route. The
 * query string is kept as it is.
 */
export function normalizedPath(raw: string): string {
  const at = raw.indexOf('?');
  const pathPart = at >= 0 ? raw.slice(0, at) : raw;
  const query = at >= 0 ? raw.slice(at) : '';
  if (!pathPart.startsWith('/')) return raw;
  const out: string[] = [];
  for (const segment of pathPart.split('/').slice(1)) {
    if (segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  const trailing = /\/\.{1,2}$/.test(pathPart) ? '/' : '';
  const joined = `/${out.join('/')}`;
  return `${joined === '/' || !trailing ? joined : `${joined}${joined.endsWith('/') ? '' : '/'}`}${query}`;
}

/** No route configuration yet (RDS not arrived) routes nothing: the request gets Envoy's 404 NR. */
function selectFrom(routes: CompiledRouteConfig | undefined, ...rest: Parameters<typeof selectRoute> extends [unknown, ...infer R] ? R : never) {
  return routes ? selectRoute(routes, ...rest) : undefined;
}

function validateClusters(routeConfig: JsonObject, context: FactoryContext, path: string): void {
  const hosts = (routeConfig['virtual_hosts'] ?? []) as { routes?: { route?: { cluster?: string; weighted_clusters?: { clusters: { name: string }[] } } }[] }[];
  for (const vh of hosts) {
    for (const r of vh.routes ?? []) {
      const names = r.route?.cluster !== undefined ? [r.route.cluster] : (r.route?.weighted_clusters?.clusters ?? []).map((c) => c.name);
      for (const name of names) if (!context.clusterManager.get(name)) throw new ConfigError(`route refers to unknown cluster "${name}" (validate_clusters is true)`, path);
    }
  }
}

class HttpConnectionManager implements NetworkFilter {
  constructor(private readonly runtime: HcmRuntime) {}

  onNewConnection(connection: DownstreamConnection): 'stop' {
    const { stats, codec } = this.runtime;
    const socket = connection.socket;
    (socket as TaggedSocket)[DOWNSTREAM] = connection;
    stats.downstream_cx_total.inc();
    stats.downstream_cx_active.inc();
    socket.once('close', () => stats.downstream_cx_active.dec());
    if (codec === 'HTTP1') this.adopt(connection, 'http1');
    // HTTP/2 sessions take over a socket that has been read from (a paused, never-read socket
    // stalls them), so the first bytes are read here either way.
    else if (codec === 'HTTP2') void this.detect(connection).then(() => this.adopt(connection, 'http2'));
    else void this.detect(connection).then((protocol) => this.adopt(connection, protocol));
    return 'stop';
  }

  /** codec_type AUTO: HTTP/2 if the client opens with the h2c preface, else HTTP/1.1. */
  private async detect(connection: DownstreamConnection): Promise<'http1' | 'http2'> {
    if (connection.applicationProtocols.includes('h2c')) return 'http2';
    if (connection.peeked.length === 0 && !connection.readEnded) {
      const socket = connection.socket;
      await new Promise<void>((resolve) => {
        const done = () => {
          socket.removeListener('data', onData);
          socket.removeListener('end', done);
          socket.removeListener('close', done);
          socket.pause();
          resolve();
        };
        const onData = (chunk: Buffer) => {
          connection.peeked = chunk;
          done();
        };
        socket.on('data', onData);
        socket.once('end', done);
        socket.once('close', done);
        socket.resume();
      });
    }
    const head = connection.peeked.subarray(0, H2_PREFACE.length);
    return head.length > 0 && H2_PREFACE.subarray(0, head.length).equals(head) ? 'http2' : 'http1';
  }

  private adopt(connection: DownstreamConnection, protocol: 'http1' | 'http2'): void {
    const { server, server2 } = this.runtime;
    const socket = connection.socket;
    if (socket.destroyed) return;
    const peeked = connection.takePeeked();
    if (protocol === 'http2') {
      // The HTTP/2 session reads what is already buffered on the socket before its own reads.
      if (peeked.length > 0 && !socket.readableEnded) socket.unshift(peeked);
      server2.emit('connection', socket);
      return;
    }
    if (!connection.readEnded) {
      // The sniffed bytes go back in front of the stream for the parser.
      if (peeked.length > 0) socket.unshift(peeked);
      server.emit('connection', socket);
      socket.resume();
      return;
    }
    // The client sent everything and half-closed while being sniffed: replay it to the parser.
    server.emit('connection', socket);
    if (peeked.length > 0) socket.emit('data', peeked);
    socket.emit('end');
  }
}

registerNetworkFilter({
  names: ['envoy.filters.network.http_connection_manager', 'envoy.http_connection_manager'],
  typeUrl: typeUrls.httpConnectionManager,
  factory: {
    terminal: true,
    create(typedConfig, context, path) {
      if (!typedConfig) throw new ConfigError('typed_config is required', path);
      const runtime = build(typedConfig, context, path);
      return Object.assign(() => new HttpConnectionManager(runtime), {
        close: () => {
          runtime.server.close();
          runtime.server2.close();
        },
      });
    },
  },
});
