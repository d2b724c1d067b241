// DownstreamTlsContext: terminates TLS on a connection after its filter chain
// is chosen (the chain's match used the SNI and ALPN tls_inspector read from
// the ClientHello), verifies a client certificate when asked (mTLS), and hands
// the network filters the decrypted stream.
import tls from 'node:tls';
import { ConfigError } from '../config/errors.js';
import type { DownstreamConnection } from '../downstream.js';
import { compileCommonTlsContext } from './common-tls-context.js';
import type { CompiledTlsContext } from './common-tls-context.js';
import { replayingStream } from './peeked-stream.js';
import type { SecretStore } from './secrets.js';
import type { SslStats } from './ssl-stats.js';
import type { DownstreamTlsContextConfig } from './tls-types.js';

export class DownstreamTls {
  private readonly context: CompiledTlsContext;
  readonly requireClientCertificate: boolean;

  constructor(config: DownstreamTlsContextConfig, secrets: SecretStore, path: string) {
    // Envoy's server defaults: TLS 1.2 to 1.3.
    this.context = compileCommonTlsContext(config.common_tls_context ?? {}, secrets, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' }, `${path}.common_tls_context`);
    if (!this.context.hasCertificate) throw new ConfigError('a DownstreamTlsContext needs a certificate (tls_certificates or tls_certificate_sds_secret_configs)', `${path}.common_tls_context`);
    this.requireClientCertificate = config.require_client_certificate ?? false;
    if (this.requireClientCertificate && !this.context.verifyPeer) {
      throw new ConfigError('require_client_certificate needs a validation context with trusted_ca', `${path}.require_client_certificate`);
    }
  }

  /**
   * Runs the handshake; on success the connection's socket is the TLS socket and true is returned.
   * On failure the connection is closed, the stat counted, and false returned.
   */
  terminate(connection: DownstreamConnection, stats: SslStats): Promise<boolean> {
    const raw = connection.socket;
    const stream = replayingStream(raw, connection.takePeeked(), connection.readEnded);
    const { context } = this;
    const socket = new tls.TLSSocket(stream, {
      isServer: true,
      secureContext: context.secureContext,
      // Verification is ours (below), so a failure is counted by kind, as Envoy does.
      requestCert: context.verifyPeer,
      rejectUnauthorized: false,
      ...alpnFor(context.alpn, connection.applicationProtocols),
    });
    // Over a plain stream node knows no addresses; the filters (XFF, access log) want the real ones.
    for (const key of ['remoteAddress', 'remotePort', 'remoteFamily', 'localAddress', 'localPort'] as const) {
      Object.defineProperty(socket, key, { get: () => raw[key], configurable: true });
    }
    socket.on('error', () => undefined);
    raw.resume();
    return new Promise((resolve) => {
      const fail = (stat: { inc(): void }) => {
        stat.inc();
        socket.destroy();
        raw.destroy();
        resolve(false);
      };
      socket.once('close', () => resolve(false));
      socket.once('error', () => fail(stats.connection_error));
      socket.once('secure', () => {
        const cert = socket.getPeerCertificate();
        const presented = cert !== null && cert !== undefined && Object.keys(cert).length > 0;
        if (context.verifyPeer) {
          if (!presented) {
            if (this.requireClientCertificate) return fail(stats.fail_verify_no_cert);
          } else {
            // node's own tls.Server reads the verification result the same way (there is no public call for a socket it did not accept).
            const verifyError = (socket as unknown as { _handle?: { verifyError?: () => Error | undefined } })._handle?.verifyError;
            if (typeof verifyError !== 'function') return fail(stats.fail_verify_error);
            if (verifyError.call((socket as unknown as { _handle: object })._handle)) return fail(stats.fail_verify_error);
            if (context.sanCheck && !context.sanCheck(cert)) return fail(stats.fail_verify_san);
          }
        }
        stats.handshake.inc();
        if (!presented) stats.no_certificate.inc();
        // node's tls.Server clears this once it accepts a handshake; a socket built by hand keeps it,
        // and an HTTP/2 session would then wait forever for a 'secureConnect' that never comes.
        (socket as unknown as { secureConnecting: boolean }).secureConnecting = false;
        connection.socket = socket;
        connection.negotiatedProtocol = typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : undefined;
        // No ALPN agreed: the connection manager's own preface detection picks the codec, as in
        // Envoy; node's HTTP/2 server would refuse a TLS socket whose alpnProtocol is false.
        if (socket.alpnProtocol === false) Object.defineProperty(socket, 'alpnProtocol', { value: undefined, configurable: true, writable: true });
        socket.once('end', () => (connection.readEnded = true));
        socket.pause();
        resolve(true);
      });
    });
  }
}

/**
 * The server's ALPN pick, Envoy's way: the first configured protocol the client offered, and
 * none (not a failed handshake, as node would do) when there is no overlap.
 */
function alpnFor(configured: readonly string[], offered: readonly string[]): { ALPNProtocols?: string[] } {
  if (configured.length === 0) return {};
  if (offered.length === 0) return { ALPNProtocols: [...configured] };
  const chosen = configured.find((p) => offered.includes(p));
  return chosen ? { ALPNProtocols: [chosen] } : {};
}
