// Minimal RFC 6455 peers on raw sockets, for the WebSocket tests: a client that
// writes the opening handshake and masked frames by hand, and a server that
// accepts, greets, echoes text frames, closes on request and answers a
// half-close. Enough of the protocol to see real frames cross the proxy.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
export const OP_TEXT = 0x1;
export const OP_CLOSE = 0x8;

export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

export interface Frame {
  opcode: number;
  masked: boolean;
  payload: Buffer;
}

/** One final frame; clients must mask (RFC 6455 §5.3), servers must not. */
export function encodeFrame(opcode: number, payload: Buffer | string, masked: boolean): Buffer {
  const body = Buffer.from(payload);
  const maskBit = masked ? 0x80 : 0;
  let header: Buffer;
  if (body.length < 126) header = Buffer.from([0x80 | opcode, maskBit | body.length]);
  else if (body.length < 65536) {
    header = Buffer.from([0x80 | opcode, maskBit | 126, 0, 0]);
    header.writeUInt16BE(body.length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = 0x80 | opcode;
    header[1] = maskBit | 127;
    header.writeBigUInt64BE(BigInt(body.length), 2);
  }
  if (!masked) return Buffer.concat([header, body]);
  const mask = randomBytes(4);
  const out = Buffer.alloc(body.length);
  for (let i = 0; i < body.length; i++) out[i] = body[i]! ^ mask[i % 4]!;
  return Buffer.concat([header, mask, out]);
}

/** Collects bytes and hands out whole frames (unmasked). */
export class FrameReader {
  private buffered = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    const frames: Frame[] = [];
    for (;;) {
      const b = this.buffered;
      if (b.length < 2) break;
      const masked = (b[1]! & 0x80) !== 0;
      let length = b[1]! & 0x7f;
      let at = 2;
      if (length === 126) {
        if (b.length < 4) break;
        length = b.readUInt16BE(2);
        at = 4;
      } else if (length === 127) {
        if (b.length < 10) break;
        length = Number(b.readBigUInt64BE(2));
        at = 10;
      }
      const maskAt = at;
      if (masked) at += 4;
      if (b.length < at + length) break;
      const payload = Buffer.from(b.subarray(at, at + length));
      if (masked) for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ b[maskAt + (i % 4)]!;
      frames.push({ opcode: b[0]! & 0x0f, masked, payload });
      this.buffered = b.subarray(at + length);
    }
    return frames;
  }
}

export interface WebSocketServer {
  port: number;
  /** Heads of the upgrade requests that reached it, in order. */
  upgrades: http.IncomingHttpHeaders[];
  /** Plain requests (method, url, headers) that reached it. */
  plain: { url: string; headers: http.IncomingHttpHeaders }[];
  /** How each accepted tunnel ended: "end" (the client half-closed), "reset", "close". */
  endings: string[];
  close(): Promise<void>;
}

/**
 * A WebSocket server named `name`: "<name>: hello" on connect; each text frame echoed as
 * "<name>: <text>"; "close" answered with a close frame and FIN; "reset" answered with a reset; a
 * client FIN answered with "<name>: bye" and a FIN. /refuse is answered 400, not 101; /hang never
 * at all. Plain
 * requests get "<name> plain <url>".
 */
export function webSocketServer(name: string): Promise<WebSocketServer> {
  const upgrades: http.IncomingHttpHeaders[] = [];
  const plain: { url: string; headers: http.IncomingHttpHeaders }[] = [];
  const endings: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    plain.push({ url: req.url ?? '', headers: req.headers });
    res.end(`${name} plain ${req.url}`);
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', (e: NodeJS.ErrnoException) => endings.push(e.code === 'ECONNRESET' ? 'reset' : `error ${e.code}`));
    upgrades.push(req.headers);
    // Never answers: a handshake that hangs.
    if (req.url === '/hang') return;
    if (req.url === '/refuse') {
      socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 6\r\nconnection: close\r\n\r\nno ws!');
      return;
    }
    const key = String(req.headers['sec-websocket-key'] ?? '');
    socket.allowHalfOpen = true;
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`);
    socket.write(encodeFrame(OP_TEXT, `${name}: hello`, false));
    const reader = new FrameReader();
    const onBytes = (chunk: Buffer) => {
      for (const frame of reader.push(chunk)) {
        const text = frame.payload.toString('utf8');
        if (!frame.masked) socket.destroy();
        else if (frame.opcode === OP_TEXT && text === 'close') {
          const code = Buffer.alloc(2);
          code.writeUInt16BE(1000);
          socket.end(encodeFrame(OP_CLOSE, code, false));
        } else if (frame.opcode === OP_TEXT && text === 'reset') socket.resetAndDestroy();
        else if (frame.opcode === OP_TEXT) socket.write(encodeFrame(OP_TEXT, `${name}: ${text}`, false));
      }
    };
    if (head.length > 0) onBytes(head);
    socket.on('data', onBytes);
    socket.on('end', () => {
      endings.push('end');
      if (socket.writable) socket.end(encodeFrame(OP_TEXT, `${name}: bye`, false));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: (server.address() as net.AddressInfo).port,
    upgrades,
    plain,
    endings,
    close: () => {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  })));
}

export interface WebSocketClient {
  status: number;
  headers: Record<string, string>;
  /** For a non-101 answer: the rest of what the server sent before closing. */
  body: string;
  socket: net.Socket;
  /** Bytes written after the handshake, and bytes received after the response head. */
  bytesOut: number;
  bytesIn: number;
  /** The next frame from the server (rejects after `timeoutMs` or at a close without one). */
  next(timeoutMs?: number): Promise<Frame>;
  sendText(text: string): void;
  /** Resolves when the server's FIN arrives. */
  ended: Promise<void>;
  /** Resolves when the socket is closed, with the error code if it ended with one. */
  closed: Promise<string | undefined>;
}

/**
 * Opens a WebSocket through `port` by hand: the RFC 6455 handshake with a random key, then frames.
 * Resolves once the response head is in (any status; the caller checks). `head` overrides headers.
 */
export function openWebSocket(port: number, path: string, options: { host?: string; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<WebSocketClient> {
  const key = randomBytes(16).toString('base64');
  const headers: Record<string, string> = {
    Host: options.host ?? 'svc',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': key,
    'Sec-WebSocket-Version': '13',
    ...options.headers,
  };
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  socket.on('error', () => undefined);
  const closed = new Promise<string | undefined>((resolve) => {
    let code: string | undefined;
    socket.on('error', (e: NodeJS.ErrnoException) => (code = e.code));
    socket.on('close', () => resolve(code));
  });
  const ended = new Promise<void>((resolve) => socket.once('end', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no response head in time'));
    }, options.timeoutMs ?? 5000);
    let raw = Buffer.alloc(0);
    const onHead = (chunk: Buffer) => {
      raw = Buffer.concat([raw, chunk]);
      const end = raw.indexOf('\r\n\r\n');
      if (end < 0) return;
      clearTimeout(timer);
      socket.removeListener('data', onHead);
      const [statusLine, ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(statusLine!.split(' ')[1]);
      const parsed: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        parsed[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const rest = raw.subarray(end + 4);
      const client = makeClient(socket, status, parsed, rest, ended, closed);
      if (status === 101) {
        if (parsed['sec-websocket-accept'] !== acceptKey(key)) reject(new Error(`bad Sec-WebSocket-Accept ${parsed['sec-websocket-accept']}`));
        else resolve(client);
        return;
      }
      // Not upgraded: the rest is an HTTP body, read until the server closes.
      let body = rest.toString('utf8');
      socket.on('data', (d: Buffer) => (body += d.toString('utf8')));
      socket.once('end', () => socket.end());
      void closed.then(() => resolve({ ...client, body }));
    };
    socket.on('data', onHead);
    socket.once('connect', () => {
      socket.write(`GET ${path} HTTP/1.1\r\n${Object.entries(headers).map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`);
    });
  });
}

function makeClient(socket: net.Socket, status: number, headers: Record<string, string>, rest: Buffer, ended: Promise<void>, closed: Promise<string | undefined>): WebSocketClient {
  const reader = new FrameReader();
  const queue: Frame[] = [];
  const waiting: ((f: Frame | undefined) => void)[] = [];
  const client: WebSocketClient = {
    status,
    headers,
    body: '',
    socket,
    bytesOut: 0,
    bytesIn: rest.length,
    next(timeoutMs = 5000) {
      const ready = queue.shift();
      if (ready) return Promise.resolve(ready);
      if (socket.destroyed) return Promise.reject(new Error('socket closed before a frame arrived'));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no frame within ${timeoutMs} ms`)), timeoutMs);
        waiting.push((f) => {
          clearTimeout(timer);
          if (f) resolve(f);
          else reject(new Error('socket closed before a frame arrived'));
        });
      });
    },
    sendText(text) {
      const frame = encodeFrame(OP_TEXT, text, true);
      client.bytesOut += frame.length;
      socket.write(frame);
    },
    ended,
    closed,
  };
  if (status !== 101) return client;
  const deliver = (chunk: Buffer) => {
    for (const frame of reader.push(chunk)) {
      const w = waiting.shift();
      if (w) w(frame);
      else queue.push(frame);
    }
  };
  if (rest.length > 0) deliver(rest);
  socket.on('data', (chunk: Buffer) => {
    client.bytesIn += chunk.length;
    deliver(chunk);
  });
  socket.on('close', () => {
    for (const w of waiting.splice(0)) w(undefined);
  });
  return client;
}

/** A raw HTTP/1.1 exchange: writes `request`, returns everything received until the server closes. */
export function rawExchange(port: number, request: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; got ${JSON.stringify(data)}`));
    }, timeoutMs);
    socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(data);
    });
    socket.once('connect', () => socket.write(request));
  });
}
