// The HTTPS shell around the injection handler: TLS 1.2+, the serving certificate reloaded
// from its files, limits that keep a slow or hostile client from holding the injector
// (the API server waits at most timeoutSeconds, 30 s at the very most, for an answer).
import https from 'node:https';
import type { Socket } from 'node:net';
import { once } from 'node:events';
import { scope } from '../log/index.js';
import { checkKeyPair, readKeyPair, watchCertificate } from './certificate-reloader.js';
import type { CertificateFiles } from './certificate-reloader.js';
import type { FileWatch } from './file-watch.js';
import { createInjectionHandler } from './handler.js';
import { WebhookMetrics } from './metrics.js';
import type { ReviewCache } from './review-cache.js';
import type { SettingsSource } from './settings-source.js';

const log = scope('webhook');

export const DefaultWebhookPort = 15017;

export interface WebhookServerOptions extends CertificateFiles {
  settings: SettingsSource;
  port?: number;
  host?: string;
  metrics?: WebhookMetrics;
  maxBodyBytes?: number;
  /** See InjectionHandlerOptions.cache. */
  cache?: ReviewCache | false;
  /** The whole request (headers and body) must arrive within this time, or 408. */
  requestTimeoutMs?: number;
  /** The TLS handshake must finish within this time, or the connection is closed. */
  handshakeTimeoutMs?: number;
  /** How often the certificate files are checked for changes. */
  certificatePollIntervalMs?: number;
}

export interface WebhookServer {
  server: https.Server;
  port: number;
  metrics: WebhookMetrics;
  close(): Promise<void>;
}

export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const metrics = options.metrics ?? new WebhookMetrics();
  const pair = readKeyPair(options);
  const requestTimeout = options.requestTimeoutMs ?? 10_000;
  const server = https.createServer(
    {
      ...checkKeyPair(pair),
      minVersion: 'TLSv1.2',
      handshakeTimeout: options.handshakeTimeoutMs ?? 10_000,
      requestTimeout,
      headersTimeout: requestTimeout,
      // Node checks the two timeouts above on this interval; its default (30 s) would let a
      // slow client outlive the API server's patience.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(requestTimeout / 4))),
      // Longer than the API server's idle timeout for webhook connections (90 s): the client closes
      // an idle connection first, so it never sends a pod on one the server is closing (a POST
      // is not retried, and under failurePolicy Fail that pod would be refused).
      keepAliveTimeout: 125_000,
    },
    createInjectionHandler(options.settings, {
      metrics,
      ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
      ...(options.cache !== undefined ? { cache: options.cache } : {}),
    }),
  );
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    // A peer that went away needs no answer and is no request of ours to count.
    if (error.code === 'ECONNRESET' || !socket.writable || socket.destroyed) {
      socket.destroy();
      return;
    }
    const [reason, status] = error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? (['timeout', '408 Request Timeout'] as const)
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? (['bad_request', '431 Request Header Fields Too Large'] as const)
        : (['bad_request', '400 Bad Request'] as const);
    metrics.recordFailure(reason);
    log.debug(`client error: ${error.message}`);
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    // end() waits for the peer to read; a peer that never does (or never finished its TLS
    // handshake) must not keep the socket.
    setTimeout(() => socket.destroy(), 1000).unref();
  });
  server.on('tlsClientError', (error, socket) => {
    log.debug(`TLS handshake failed: ${error.message}`);
    // Node reports a handshake timeout here but leaves the socket open.
    socket.destroy();
  });

  const watch: FileWatch = watchCertificate(options, pair, (context) => server.setSecureContext({ ...context, minVersion: 'TLSv1.2' }), {
    ...(options.certificatePollIntervalMs !== undefined ? { pollIntervalMs: options.certificatePollIntervalMs } : {}),
    onReload: (ok) => metrics.recordReload('certificate', ok),
  });
  server.listen(options.port ?? DefaultWebhookPort, options.host);
  try {
    await once(server, 'listening');
  } catch (error) {
    watch.close();
    throw error;
  }
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  log.info(`sidecar injector serving https on ${options.host ?? '[::]'}:${port}`);
  return {
    server,
    port,
    metrics,
    close: async () => {
      watch.close();
      const closed = once(server, 'close');
      server.close();
      server.closeIdleConnections();
      await closed;
    },
  };
}
