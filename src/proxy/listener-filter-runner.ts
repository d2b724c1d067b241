// Runs a listener's filters over a new connection: each may wait for bytes
// (TLS or HTTP sniffing) up to listener_filters_timeout. Bytes read here are
// kept on the connection for the network filters.
import type { DownstreamConnection } from './downstream.js';
import type { ListenerRuntime } from './listener.js';
import type { ListenerFilterStatus } from './listener-filters/index.js';

/** Sniffing never buffers more than this, whatever a filter asks for. */
export const MAX_PEEK_BYTES = 64 * 1024;

export function runListenerFilters(connection: DownstreamConnection, listener: ListenerRuntime): Promise<boolean> {
  const filters = listener.listenerFilters.map((make) => make());
  if (filters.length === 0) return Promise.resolve(true);
  const socket = connection.socket;
  return new Promise((resolve) => {
    let index = 0;
    let accepted = false;
    let reading = false;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;

    const settle = (ok: boolean) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
      socket.removeListener('error', onError);
      socket.pause();
      resolve(ok);
    };

    // Advances through the filters until one needs bytes we do not have yet.
    const step = () => {
      while (index < filters.length) {
        const filter = filters[index]!;
        let status: ListenerFilterStatus;
        if (!accepted) {
          accepted = true;
          status = filter.onAccept(connection);
          if (status === 'needData' && (connection.peeked.length > 0 || connection.readEnded)) {
            status = filter.onData?.(connection, connection.peeked, connection.readEnded) ?? 'continue';
          }
        } else {
          status = filter.onData?.(connection, connection.peeked, connection.readEnded) ?? 'continue';
        }
        if (status === 'needData' && connection.peeked.length < MAX_PEEK_BYTES && !connection.readEnded) {
          if (!reading) {
            reading = true;
            socket.on('data', onData);
            socket.on('end', onEnd);
            socket.resume();
          }
          return;
        }
        index++;
        accepted = false;
      }
      settle(true);
    };

    const onData = (chunk: Buffer) => {
      connection.peeked = connection.peeked.length === 0 ? chunk : Buffer.concat([connection.peeked, chunk]);
      step();
    };
    const onEnd = () => {
      connection.readEnded = true;
      step();
    };
    const onError = () => settle(false);
    socket.on('error', onError);

    if (listener.listenerFiltersTimeoutMs > 0) {
      timer = setTimeout(() => {
        // Server-first protocols (MySQL, SMTP) never send first: with continue_on_listener_filters_timeout
        // they go on to filter-chain matching with what is known, instead of stalling.
        listener.stats.downstream_pre_cx_timeout.inc();
        settle(listener.continueOnListenerFiltersTimeout);
      }, listener.listenerFiltersTimeoutMs);
    }
    step();
  });
}
