// TLS peers for the transport socket tests: an HTTPS (h1 and h2) upstream that
// can require a client certificate, a TLS echo server, and clients that present
// (or do not present) a certificate. Plus the Envoy config snippets they need.
import http2 from 'node:http2';
import https from 'node:https';
import type net from 'node:net';
import tls from 'node:tls';
import type { Leaf } from './tls-certs.js';

export interface TlsUpstream {
  port: number;
  /** Client certificate SANs of the requests seen (empty string: no certificate). */
  clientSans: string[];
  close(): Promise<void>;
}

/** HTTPS upstream answering "<name> <url> <http version>"; h2 and http/1.1 by ALPN; asks for a client certificate signed by `ca`. */
export function httpsUpstream(name: string, leaf: Leaf, ca: string): Promise<TlsUpstream> {
  const clientSans: string[] = [];
  const server = http2.createSecureServer({ cert: leaf.cert, key: leaf.key, ca, requestCert: true, rejectUnauthorized: true, allowHTTP1: true }, (req, res) => {
    const socket = req.socket as tls.TLSSocket;
    clientSans.push(socket.getPeerCertificate?.()?.subjectaltname ?? '');
    req.resume();
    req.on('end', () => res.end(`${name} ${req.url} ${req.httpVersion}`));
  });
  const sockets = new Set<net.Socket>();
  server.on('secureConnection', (s: tls.TLSSocket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('tlsClientError', () => undefined);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: (server.address() as net.AddressInfo).port,
    clientSans,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  })));
}

/** A TLS server that replies "<name>:" and echoes, closing when the client half-closes. */
export function tlsEchoServer(name: string, leaf: Leaf, ca: string, options: tls.TlsOptions = {}): Promise<TlsUpstream> {
  const clientSans: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ cert: leaf.cert, key: leaf.key, ca, requestCert: true, rejectUnauthorized: true, allowHalfOpen: true, ...options }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    clientSans.push(socket.getPeerCertificate()?.subjectaltname ?? '');
    socket.on('error', () => undefined);
    socket.write(`${name}:`);
    socket.pipe(socket);
  });
  server.on('tlsClientError', () => undefined);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: (server.address() as net.AddressInfo).port,
    clientSans,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  })));
}

/** GET over HTTPS/1.1 with an optional client certificate; rejects when the connection is refused or reset. */
export function httpsGet(port: number, path: string, options: { ca: string; leaf?: Leaf; servername?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port, path, agent: false, ca: options.ca,
      ...(options.leaf ? { cert: options.leaf.cert, key: options.leaf.key } : {}),
      servername: options.servername ?? 'svc.local',
      checkServerIdentity: () => undefined,
      headers: { host: 'svc' },
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.';

export function certificate(leaf: Leaf): Record<string, unknown> {
  return { certificate_chain: { inline_string: leaf.cert }, private_key: { inline_string: leaf.key } };
}

export function spiffeSan(id: string): Record<string, unknown> {
  return { san_type: 'URI', matcher: { exact: id } };
}

export function upstreamTls(context: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'envoy.transport_sockets.tls', typed_config: { '@type': `${TLS}UpstreamTlsContext`, common_tls_context: context, ...extra } };
}

export function downstreamTls(context: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'envoy.transport_sockets.tls', typed_config: { '@type': `${TLS}DownstreamTlsContext`, common_tls_context: context, ...extra } };
}
