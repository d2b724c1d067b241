// UpstreamTlsContext: originates TLS on a cluster's connections — SNI, our
// certificate for mTLS, the server's chain checked against trusted_ca and its
// SANs against the matchers (Istio's SPIFFE identity check), ALPN. The same
// socket serves tcp_proxy, HTTP/1.1 pools and HTTP/2 sessions.
import type net from 'node:net';
import tls from 'node:tls';
import { compileCommonTlsContext } from './common-tls-context.js';
import type { CompiledTlsContext } from './common-tls-context.js';
import type { SecretStore } from './secrets.js';
import type { SslStats } from './ssl-stats.js';
import type { UpstreamTlsContextConfig } from './tls-types.js';

/** Marks an error raised by the TLS handshake: to the router and tcp_proxy it is a connect failure (UF). */
export interface TlsHandshakeError extends Error {
  tlsHandshakeFailed: true;
}

export function isTlsHandshakeError(error: unknown): error is TlsHandshakeError {
  return typeof error === 'object' && error !== null && (error as { tlsHandshakeFailed?: unknown }).tlsHandshakeFailed === true;
}

export interface UpstreamTlsConnect {
  /** A connected TCP socket to run the handshake on. */
  socket?: net.Socket;
  host?: string;
  port?: number;
  localAddress?: string;
  /** ALPN to offer when alpn_protocols is empty (h2 for an HTTP/2 cluster). */
  defaultAlpn?: readonly string[];
}

const SAN_MISMATCH = 'ERR_OUTRIGGER_SAN_MISMATCH';

export class UpstreamTls {
  private readonly context: CompiledTlsContext;
  readonly sni: string | undefined;

  constructor(config: UpstreamTlsContextConfig, secrets: SecretStore, private readonly stats: SslStats, path: string) {
    // Envoy's client defaults: TLS 1.2 only.
    this.context = compileCommonTlsContext(config.common_tls_context ?? {}, secrets, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }, `${path}.common_tls_context`);
    this.sni = config.sni || undefined;
  }

  /** Starts a TLS client connection; the socket emits 'secureConnect' only once the peer passed every check. */
  connect(options: UpstreamTlsConnect): tls.TLSSocket {
    const { context, stats } = this;
    const alpn = context.alpn.length > 0 ? context.alpn : options.defaultAlpn;
    // Half-close: a TLS socket over a given TCP socket inherits its allowHalfOpen (tcp_proxy's).
    const socket = tls.connect({
      ...(options.socket ? { socket: options.socket } : { host: options.host, port: options.port, ...(options.localAddress ? { localAddress: options.localAddress } : {}) }),
      // No sni: no server_name extension (node would otherwise send a DNS host name).
      servername: this.sni ?? '',
      secureContext: context.secureContext,
      ...(alpn && alpn.length > 0 ? { ALPNProtocols: [...alpn] } : {}),
      // Without trusted_ca Envoy verifies nothing; with it, the chain must verify.
      rejectUnauthorized: context.verifyPeer,
      // Envoy checks the SAN matchers, not the host name against the certificate.
      checkServerIdentity: (_host, cert) => {
        if (!context.sanCheck || context.sanCheck(cert)) return undefined;
        return Object.assign(new Error(`the upstream certificate's SANs (${cert.subjectaltname ?? 'none'}) match none of match_typed_subject_alt_names`), { code: SAN_MISMATCH });
      },
    });
    let secured = false;
    socket.once('secureConnect', () => {
      secured = true;
      stats.handshake.inc();
    });
    // Errors before the handshake completes (after the TCP connect) are TLS failures; count them
    // by kind and mark them for whoever classifies the failure.
    let tcpConnected = options.socket !== undefined;
    if (!tcpConnected) socket.once('connect', () => (tcpConnected = true));
    socket.prependOnceListener('error', (error: NodeJS.ErrnoException) => {
      if (secured || !tcpConnected) return;
      Object.assign(error, { tlsHandshakeFailed: true });
      stats.connection_error.inc();
      if (error.code === SAN_MISMATCH) stats.fail_verify_san.inc();
      // node records a failed chain verification here before destroying the socket.
      else if (socket.authorizationError) stats.fail_verify_error.inc();
    });
    return socket;
  }
}
