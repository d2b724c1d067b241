// After a 101 the upgraded request is a TCP tunnel: bytes both ways with
// backpressure, a FIN passed on as a FIN (half-close), a reset passed on as a
// reset. HTTP is over for these two sockets, so nothing here parses.
import type net from 'node:net';
import { flushAndClose, pump } from '../socket-pump.js';

export interface TunnelSide {
  socket: net.Socket;
  /** Bytes already read from this side that belong to the tunnel (read along with the HTTP head). */
  head: Buffer;
}

export interface TunnelOutcome {
  /** Which peer reset (or failed) its connection first, if either did. */
  reset?: 'downstream' | 'upstream';
}

export interface TunnelOptions {
  /** Bytes from the client to the server, and from the server to the client. */
  received(n: number): void;
  sent(n: number): void;
  /** Once, when both sockets are closed. */
  closed(outcome: TunnelOutcome): void;
}

export function spliceTunnel(downstream: TunnelSide, upstream: TunnelSide, options: TunnelOptions): void {
  const down = downstream.socket;
  const up = upstream.socket;
  const outcome: TunnelOutcome = {};
  // The upstream socket came from an HTTP client pool that does not half-close; a tunnel must.
  up.allowHalfOpen = true;
  // Timers left by the HTTP layers (the pool's idle timeout) are about HTTP, not the tunnel.
  up.setTimeout(0);
  down.setTimeout(0);

  let open = 2;
  const onClosed = () => {
    if (--open === 0) options.closed(outcome);
  };
  down.once('close', onClosed);
  up.once('close', onClosed);

  const fail = (side: 'downstream' | 'upstream') => (error: NodeJS.ErrnoException) => {
    outcome.reset ??= side;
    // A reset becomes a reset on the other side, so that peer sees the failure rather than a clean FIN.
    const other = side === 'downstream' ? up : down;
    if (other.destroyed) return;
    if (error.code === 'ECONNRESET' || error.code === 'EPIPE') other.resetAndDestroy();
    else other.destroy();
  };
  down.on('error', fail('downstream'));
  up.on('error', fail('upstream'));

  if (downstream.head.length > 0) {
    options.received(downstream.head.length);
    up.write(downstream.head);
  }
  if (upstream.head.length > 0) {
    options.sent(upstream.head.length);
    down.write(upstream.head);
  }
  pump(down, up, { count: options.received });
  pump(up, down, { count: options.sent });

  // Half-close: a FIN from one peer becomes a FIN to the other, and the other direction goes on.
  const passFin = (from: net.Socket, to: net.Socket) => {
    if (from.readableEnded) to.end();
    else from.once('end', () => to.end());
  };
  passFin(down, up);
  passFin(up, down);
  // A side fully closed can take no more bytes: the other gets what was written, a FIN, and is closed.
  down.once('close', () => flushAndClose(up));
  up.once('close', () => flushAndClose(down));
  down.resume();
  up.resume();
}

