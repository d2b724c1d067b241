// The path every accepted connection takes, inbound (15006) and outbound
// (15001) alike — Envoy's model has one path, and config makes it inbound or
// outbound. Read top to bottom:
import type net from 'node:net';
import { DownstreamConnection } from './downstream.js';
import type { Endpoint } from './downstream.js';
import type { ListenerRuntime } from './listener.js';
import { runListenerFilters } from './listener-filter-runner.js';

export interface ListenerLookup {
  /** The listener owning an address (exact ip:port, else the wildcard address on that port). */
  listenerFor(destination: Endpoint): ListenerRuntime | undefined;
}

export function onAccept(socket: net.Socket, listener: ListenerRuntime, listeners: ListenerLookup): void {
  // A peer may reset at any moment; the proxy must never crash on it.
  socket.on('error', () => undefined);
  const connection = new DownstreamConnection(socket, listener.transparent);
  void walk(connection, listener, listeners, true);
}

async function walk(connection: DownstreamConnection, listener: ListenerRuntime, listeners: ListenerLookup, mayHandOff: boolean): Promise<void> {
  const socket = connection.socket;
  connection.listenerPath.push(listener.name);

  // 1. Listener filters: restore the original destination, sniff TLS (SNI, ALPN) or plaintext HTTP.
  listener.stats.downstream_pre_cx_active.inc();
  const proceed = await runListenerFilters(connection, listener);
  listener.stats.downstream_pre_cx_active.dec();
  if (!proceed || socket.destroyed) {
    socket.destroy();
    return;
  }

  // 2. use_original_dst: the listener that owns the original destination takes the connection
  //    (virtualOutbound → 0.0.0.0_9080); only one hand-off, as in Envoy.
  if (mayHandOff && listener.useOriginalDst && connection.localAddressRestored) {
    const target = listeners.listenerFor(connection.localAddress);
    if (target && target !== listener) {
      await walk(connection, target, listeners, false);
      return;
    }
  }

  // 3. Filter chain: the most specific match on destination, SNI, transport, ALPN and source.
  const chain = listener.selectChain(connection);
  if (!chain) {
    listener.stats.no_filter_chain_match.inc();
    socket.destroy();
    return;
  }

  // 4. The connection is established (Envoy counts it before any TLS handshake).
  listener.stats.downstream_cx_total.inc();
  listener.stats.downstream_cx_active.inc();
  socket.once('close', () => {
    listener.stats.downstream_cx_active.dec();
    listener.stats.downstream_cx_destroy.inc();
  });

  // 5. Transport socket: a TLS chain terminates TLS here (mTLS checks the client's certificate);
  //    the filters then see the decrypted stream.
  if (chain.tls && !(await chain.tls.terminate(connection, listener.stats.ssl))) return;

  // 6. Network filters in order; the terminal one (tcp_proxy, http_connection_manager) owns the connection.
  for (const make of chain.filters) {
    if (make().onNewConnection(connection) === 'stop') break;
  }
}
