// Responses the proxy makes itself (no route, no healthy upstream, connect
// failure, timeout), with Envoy's bodies so that users recognise them.
import type http from 'node:http';
import type { HttpRequestContext } from './http-filter.js';

export const LOCAL_REPLY = {
  noHealthyUpstream: 'no healthy upstream',
  connectFailure: 'upstream connect error or disconnect/reset before headers. reset reason: connection failure',
  reset: 'upstream connect error or disconnect/reset before headers. reset reason: connection termination',
  timeout: 'upstream request timeout',
  overflow: 'upstream connect error or disconnect/reset before headers. reset reason: overflow',
} as const;

export function sendLocalReply(context: HttpRequestContext, status: number, body: string, extra: http.OutgoingHttpHeaders = {}, details?: string): void {
  const res = context.response;
  if (details !== undefined) context.responseCodeDetails = details;
  context.bytesSent += Buffer.byteLength(body);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: http.OutgoingHttpHeaders = { ...extra, 'content-length': Buffer.byteLength(body), date: new Date().toUTCString(), server: context.server.name };
  if (body !== '') headers['content-type'] = 'text/plain';
  res.writeHead(status, headers);
  res.end(body);
}

/**
 * A gRPC status as a local reply: HTTP 200 with grpc-status and grpc-message and no body, which
 * HTTP/2 sends as one HEADERS frame ending the stream ("trailers-only"), the form gRPC clients read.
 */
export function sendGrpcLocalReply(context: HttpRequestContext, grpcStatus: number, message: string, details?: string): void {
  const res = context.response;
  if (details !== undefined) context.responseCodeDetails = details;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // setHeader and end() rather than writeHead: node's HTTP/2 compatibility layer then ends the stream on the HEADERS frame.
  res.statusCode = 200;
  res.setHeader('content-type', 'application/grpc');
  res.setHeader('grpc-status', String(grpcStatus));
  res.setHeader('grpc-message', encodeURIComponent(message).replace(/%20/g, ' '));
  res.setHeader('server', context.server.name);
  res.end();
}
