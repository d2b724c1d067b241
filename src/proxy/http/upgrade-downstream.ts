// The client's side of an HTTP/1.1 upgrade. node's HTTP server hands an upgrade
// request over with its socket, outside its own request/response handling, so
// this supplies what the connection manager needs around it: a response object
// bound to that socket (for local replies and non-101 answers), the 101 head
// the router accepts with, and, for h2c (which Envoy does not upgrade), the
// request given back to the parser as the plain request it also is.
import http from 'node:http';
import type net from 'node:net';
import type { Headers } from './header-mutation.js';
import type { UpgradedUpstream } from './upstream-request.js';
import { connectionWithoutUpgrade } from './upgrade-config.js';
import { spliceTunnel } from './upgrade-tunnel.js';
import type { TunnelOptions } from './upgrade-tunnel.js';

/** What the router sees of an upgrade request the connection manager allowed. */
export interface DownstreamUpgrade {
  /** The Upgrade header's value, lower case ("websocket"). */
  type: string;
  /**
   * The upstream switched protocols: the client gets the 101 with `headers` and the two
   * connections become a tunnel. `done` runs once the tunnel has closed.
   */
  accept(upstream: UpgradedUpstream, headers: Headers, done: () => void): void;
}

/**
 * A response on the socket of an upgrade request. The connection is not kept alive after it (the
 * client may already be sending tunnel bytes, which are not HTTP): node adds "connection: close",
 * and the socket is closed once the response is written — what was received unread is dropped
 * first, so the close is a FIN and not a reset that could overtake the response.
 */
export function responseOnUpgradeSocket(req: http.IncomingMessage, socket: net.Socket): http.ServerResponse {
  const res = new http.ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket);
  res.once('finish', () => {
    socket.resume();
    socket.destroySoon();
  });
  return res;
}

/**
 * The upstream switched protocols: the client gets the 101 with `headers`, and its connection and
 * the upstream's become one tunnel. False (and the upstream closed) when the client has already gone.
 */
export function switchToTunnel(client: { res: http.ServerResponse; socket: net.Socket; head: Buffer }, upstream: UpgradedUpstream, headers: Headers, options: TunnelOptions): boolean {
  const { res, socket, head } = client;
  if (socket.destroyed) {
    upstream.socket.destroy();
    return false;
  }
  // From here the socket is the tunnel's: the response object must never write to it or close it.
  res.detachSocket(socket);
  res.statusCode = 101;
  socket.write(switchingProtocolsHead(upstream.statusMessage, headers));
  spliceTunnel({ socket, head }, { socket: upstream.socket, head: upstream.head }, options);
  return true;
}

/** The 101 head for the client: Envoy's H1 codec writes header names in lower case, and so does this. */
function switchingProtocolsHead(statusMessage: string | undefined, headers: Headers): string {
  let head = `HTTP/1.1 101 ${statusMessage || 'Switching Protocols'}\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) head += `${name.toLowerCase()}: ${v}\r\n`;
  }
  return `${head}\r\n`;
}

/**
 * An h2c upgrade request served as plain HTTP/1.1 (Envoy strips the upgrade): its head is rebuilt
 * without Upgrade and HTTP2-Settings, put back in front of the bytes that followed it, and the
 * socket returned to the HTTP server, which parses it afresh — keep-alive and all.
 */
export function replayAsPlainRequest(server: http.Server, req: http.IncomingMessage, socket: net.Socket, rest: Buffer): void {
  const lines: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (lower === 'upgrade' || lower === 'http2-settings') continue;
    if (lower === 'connection') {
      const kept = connectionWithoutUpgrade(raw[i + 1]);
      if (kept !== undefined) lines.push(`${name}: ${kept}`);
      continue;
    }
    lines.push(`${name}: ${raw[i + 1]}`);
  }
  const head = Buffer.from(`${req.method} ${req.url} HTTP/${req.httpVersion}\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`, 'latin1');
  socket.unshift(rest.length > 0 ? Buffer.concat([head, rest]) : head);
  server.emit('connection', socket);
  socket.resume();
}
