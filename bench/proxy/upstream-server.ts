// The upstream ("the app"): answers every HTTP/1.1 request with a fixed body of --body bytes
// after reading the request body. Run as its own process so its CPU never counts against a
// proxy and it costs the same behind every setup.
//
// It frames requests itself on a net.Server instead of using node:http: the upstream should
// be cheap (on 2 vCPUs it competes with the proxies for CPU at maximum throughput), and a
// Content-Length/chunked framer with one prebuilt response is about as cheap as Node gets.
// It understands exactly what the generators and the proxies send it: keep-alive requests
// framed by Content-Length or chunked, and `Connection: close`.
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { port: { type: 'string' }, body: { type: 'string', default: '1024' } } });
const bodySize = Number(args.body);
const response = Buffer.concat([
  Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${bodySize}\r\n\r\n`, 'latin1'),
  Buffer.alloc(bodySize, 'o'),
]);
const badRequest = Buffer.from('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n', 'latin1');
const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');
const CRLF = Buffer.from('\r\n', 'latin1');

/** Per-connection framing state. */
interface Framing {
  pending: Buffer;
  /** Bytes of Content-Length body still to skip; -1 while reading headers. */
  bodyLeft: number;
  /** Reading a chunked body: -1 expecting a size line, otherwise bytes of chunk (plus CRLF) to skip. */
  chunkLeft: number | null;
  close: boolean;
}

function onData(socket: net.Socket, state: Framing, chunk: Buffer): void {
  let buf = state.pending.length === 0 ? chunk : Buffer.concat([state.pending, chunk]);
  let answers = 0;
  for (;;) {
    if (state.bodyLeft < 0 && state.chunkLeft === null) {
      const end = buf.indexOf(HEADER_END);
      if (end < 0) {
        if (buf.length > 65536) return void socket.end(badRequest);
        break;
      }
      const head = buf.toString('latin1', 0, end);
      buf = buf.subarray(end + 4);
      state.close = /\r\nconnection:[ \t]*close/i.test(head);
      if (/\r\ntransfer-encoding:[ \t]*chunked/i.test(head)) {
        state.chunkLeft = -1;
      } else {
        state.bodyLeft = Number(/\r\ncontent-length:[ \t]*(\d+)/i.exec(head)?.[1] ?? 0);
      }
    }
    if (state.chunkLeft !== null) {
      // Chunked: size line, data + CRLF, ... , "0" line, (no trailers from our peers) CRLF.
      if (state.chunkLeft === -1) {
        const eol = buf.indexOf(CRLF);
        if (eol < 0) break;
        const size = parseInt(buf.toString('latin1', 0, eol), 16);
        buf = buf.subarray(eol + 2);
        state.chunkLeft = size === 0 ? -2 : size + 2;
        if (size !== 0) continue;
      }
      if (state.chunkLeft === -2) {
        if (buf.length < 2) break;
        buf = buf.subarray(2);
        state.chunkLeft = null;
        state.bodyLeft = 0;
      } else {
        const take = Math.min(state.chunkLeft, buf.length);
        buf = buf.subarray(take);
        state.chunkLeft -= take;
        if (state.chunkLeft > 0) break;
        state.chunkLeft = -1;
        continue;
      }
    }
    const take = Math.min(state.bodyLeft, buf.length);
    buf = buf.subarray(take);
    state.bodyLeft -= take;
    if (state.bodyLeft > 0) break;
    state.bodyLeft = -1;
    if (answers++ === 0) socket.cork();
    socket.write(response);
    if (state.close) {
      socket.uncork();
      return void socket.end();
    }
  }
  if (answers > 0) socket.uncork();
  state.pending = buf;
}

const server = net.createServer({ noDelay: true }, (socket) => {
  const state: Framing = { pending: Buffer.alloc(0), bodyLeft: -1, chunkLeft: null, close: false };
  socket.on('data', (chunk: Buffer) => onData(socket, state, chunk));
  socket.on('error', () => undefined);
});
server.listen(Number(args.port), '127.0.0.1', () => process.stdout.write(`listening on ${(server.address() as net.AddressInfo).port}\n`));
