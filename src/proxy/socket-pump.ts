// Moving bytes between two sockets, shared by tcp_proxy and an upgraded HTTP
// stream's tunnel: each chunk is counted and written on, and reading pauses
// while the other side's write buffer is full (backpressure), resuming on drain.
import type net from 'node:net';

export interface PumpEvents {
  /** Bytes passed on. */
  count(n: number): void;
  /** Reading paused for backpressure, and resumed (flow-control stats). */
  paused?(): void;
  resumed?(): void;
}

export function pump(from: net.Socket, to: net.Socket, events: PumpEvents): void {
  from.on('data', (chunk: Buffer) => {
    events.count(chunk.length);
    if (!to.write(chunk)) {
      from.pause();
      events.paused?.();
    }
  });
  to.on('drain', () => {
    from.resume();
    events.resumed?.();
  });
}

/** Ends a socket once what was written to it is flushed (the peer still gets it), then destroys it. */
export function flushAndClose(socket: net.Socket): void {
  if (socket.destroyed) return;
  if (socket.writableFinished) {
    socket.destroy();
    return;
  }
  socket.once('finish', () => socket.destroy());
  socket.end();
}
