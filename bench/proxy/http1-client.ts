// The client side of one keep-alive HTTP/1.1 connection for the open-loop generator: one
// prebuilt request at a time, responses framed by Content-Length or chunked. Hand-rolled for
// the same reason as the upstream: the generator must stay cheap and predictable so that the
// latency it sees is the setup's, not its own.
import net from 'node:net';

const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');
const CRLF = Buffer.from('\r\n', 'latin1');

export interface ClientEvents {
  /** A full response arrived for the request in flight. */
  onResponse(connection: ClientConnection, status: number): void;
  /** The request in flight was lost (reset, closed early); the connection reconnects. */
  onFailure(connection: ClientConnection, reason: string): void;
}

export class ClientConnection {
  socket!: net.Socket;
  busy = false;
  /** The scheduled send time (ns) and index of the request in flight. */
  scheduledNs = 0;
  index = -1;
  private pending: Buffer = Buffer.alloc(0);
  private status = 0;
  private bodyLeft = -1;
  private chunkLeft: number | null = null;
  private closeAfter = false;
  private ready: Promise<void> = Promise.resolve();

  constructor(
    private readonly port: number,
    private readonly events: ClientEvents,
  ) {
    this.connect();
  }

  /** Resolves once the TCP connection is up (so the first measured requests do not pay the handshake). */
  connected(): Promise<void> {
    return this.ready;
  }

  send(request: Buffer, index: number, scheduledNs: number): void {
    this.busy = true;
    this.index = index;
    this.scheduledNs = scheduledNs;
    if (this.socket.destroyed) {
      // Between a refused connect and the retry: fail this request rather than lose it.
      this.busy = false;
      queueMicrotask(() => this.events.onFailure(this, 'not connected'));
      return;
    }
    this.socket.write(request);
  }

  close(): void {
    this.socket.removeAllListeners('close');
    this.socket.destroy();
  }

  private connect(): void {
    const socket = net.connect({ port: this.port, host: '127.0.0.1', noDelay: true });
    this.socket = socket;
    this.pending = Buffer.alloc(0);
    this.bodyLeft = -1;
    this.chunkLeft = null;
    this.ready = new Promise((resolve) => socket.once('connect', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      // A closed keep-alive connection is replaced at once, as a pooled client would; the new
      // socket is in place before the generator hears of the loss and sends on it again.
      const lost = this.busy;
      this.busy = false;
      if (socket.bytesRead === 0 && !lost) {
        // Never got anywhere (refused): retry later rather than spin.
        setTimeout(() => this.connect(), 100);
        return;
      }
      this.connect();
      if (lost) this.events.onFailure(this, 'connection closed with a request in flight');
    });
  }

  private onData(chunk: Buffer): void {
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      if (this.bodyLeft < 0 && this.chunkLeft === null) {
        const end = buf.indexOf(HEADER_END);
        if (end < 0) break;
        const head = buf.toString('latin1', 0, end);
        buf = buf.subarray(end + 4);
        this.status = Number(head.slice(9, 12));
        this.closeAfter = /\r\nconnection:[ \t]*close/i.test(head);
        if (/\r\ntransfer-encoding:[ \t]*chunked/i.test(head)) this.chunkLeft = -1;
        else this.bodyLeft = Number(/\r\ncontent-length:[ \t]*(\d+)/i.exec(head)?.[1] ?? 0);
      }
      if (this.chunkLeft !== null) {
        if (this.chunkLeft === -1) {
          const eol = buf.indexOf(CRLF);
          if (eol < 0) break;
          const size = parseInt(buf.toString('latin1', 0, eol), 16);
          buf = buf.subarray(eol + 2);
          this.chunkLeft = size === 0 ? -2 : size + 2;
          if (size !== 0) continue;
        }
        if (this.chunkLeft === -2) {
          if (buf.length < 2) break;
          buf = buf.subarray(2);
          this.chunkLeft = null;
          this.bodyLeft = 0;
        } else {
          const take = Math.min(this.chunkLeft, buf.length);
          buf = buf.subarray(take);
          this.chunkLeft -= take;
          if (this.chunkLeft > 0) break;
          this.chunkLeft = -1;
          continue;
        }
      }
      const take = Math.min(this.bodyLeft, buf.length);
      buf = buf.subarray(take);
      this.bodyLeft -= take;
      if (this.bodyLeft > 0) break;
      this.bodyLeft = -1;
      this.busy = false;
      if (this.closeAfter) {
        this.close();
        this.connect();
        this.events.onResponse(this, this.status);
        return;
      }
      this.events.onResponse(this, this.status);
    }
    this.pending = buf;
  }
}
