// One accepted downstream connection as it moves along the listener path:
// what listener filters learned about it, and the bytes they read to learn it.
import type net from 'node:net';
import { unmapIpv4 } from './cidr.js';

export interface Endpoint {
  address: string;
  port: number;
}

export class DownstreamConnection {
  /** The destination: the listener's socket address, or the original destination once restored. */
  localAddress: Endpoint;
  localAddressRestored = false;
  readonly remoteAddress: Endpoint;
  /** "raw_buffer" unless tls_inspector saw a ClientHello ("tls"). */
  transportProtocol = 'raw_buffer';
  serverName: string | undefined;
  /** ALPN from a ClientHello, or "http/1.1", "http/1.0", "h2c" from http_inspector. */
  applicationProtocols: string[] = [];
  /** Bytes read while sniffing; network filters see them before anything else the peer sends. */
  peeked: Buffer = Buffer.alloc(0);
  /** The peer has half-closed (FIN received). */
  readEnded = false;
  /** The ALPN protocol negotiated when the filter chain terminated TLS (h2, http/1.1), else undefined. */
  negotiatedProtocol: string | undefined;
  /** Listener names this connection passed through (virtualOutbound → 0.0.0.0_9080). */
  readonly listenerPath: string[] = [];

  constructor(
    /** The accepted socket; after TLS termination, the TLS socket carrying the decrypted stream. */
    public socket: net.Socket,
    /** Accepted by an IP_TRANSPARENT listener (TPROXY): the local address is the original destination. */
    readonly transparent = false,
  ) {
    // 'end' can fire while nobody in particular is listening (between sniffing and the network
    // filter taking over), so the connection remembers it for whoever comes next.
    socket.once('end', () => (this.readEnded = true));
    this.localAddress = { address: unmapIpv4(socket.localAddress ?? ''), port: socket.localPort ?? 0 };
    this.remoteAddress = { address: unmapIpv4(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 };
  }

  /** Takes the sniffed bytes (once) for a network filter to forward. */
  takePeeked(): Buffer {
    const bytes = this.peeked;
    this.peeked = Buffer.alloc(0);
    return bytes;
  }
}
