// Responses the proxy makes itself (no route, no healthy upstream, connect
// failure, timeout, a fault's abort), with Envoy's bodies so that users recognise
// them. One path for all of them, as Envoy's sendLocalReply: a gRPC client gets
// the reply as a gRPC status rather than an HTTP error it cannot read.
import type http from 'node:http';
import type { HttpRequestContext } from './http-filter.js';
import { encodeGrpcMessage, httpToGrpcStatus, isGrpcContentType } from './grpc.js';

export const LOCAL_REPLY = {
  noHealthyUpstream: 'no healthy upstream',
  connectFailure: 'upstream connect error or disconnect/reset before headers. reset reason: connection failure',
  reset: 'upstream connect error or disconnect/reset before headers. reset reason: connection termination',
  timeout: 'upstream request timeout',
  overflow: 'upstream connect error or disconnect/reset before headers. reset reason: overflow',
} as const;

/**
 * Answers the request with `status` and `body`. When the request is gRPC (content-type
 * application/grpc or application/grpc+…) the reply is a trailers-only gRPC response instead:
 * HTTP 200, content-type application/grpc, grpc-status (`grpcStatus` when the caller has one,
 * e.g. a fault's grpc_status abort, else mapped from `status`) and grpc-message with the body.
 */
export function sendLocalReply(
  context: HttpRequestContext,
  status: number,
  body: string,
  extra: http.OutgoingHttpHeaders = {},
  details?: string,
  grpcStatus?: number,
): void {
  const res = context.response;
  if (details !== undefined) context.responseCodeDetails = details;
  if (res.headersSent) {
    // Too late for a reply of our own: the client sees the stream end abruptly.
    res.destroy();
    return;
  }
  if (isGrpcContentType(context.request.headers['content-type'])) {
    sendGrpcReply(context, grpcStatus ?? httpToGrpcStatus(status), body, extra);
    return;
  }
  context.bytesSent += Buffer.byteLength(body);
  const headers: http.OutgoingHttpHeaders = { ...extra, 'content-length': Buffer.byteLength(body), date: new Date().toUTCString(), server: context.server.name };
  if (body !== '') headers['content-type'] = 'text/plain';
  res.writeHead(status, headers);
  res.end(body);
}

/**
 * HTTP 200 with grpc-status and grpc-message and no body, which HTTP/2 sends as one HEADERS
 * frame ending the stream ("trailers-only"), the form gRPC clients read. An empty body (404's)
 * gives no grpc-message, as in Envoy.
 */
function sendGrpcReply(context: HttpRequestContext, grpcStatus: number, message: string, extra: http.OutgoingHttpHeaders): void {
  const res = context.response;
  // setHeader and end() rather than writeHead: node's HTTP/2 compatibility layer then ends the stream on the HEADERS frame.
  for (const [name, value] of Object.entries(extra)) if (value !== undefined) res.setHeader(name, value);
  res.statusCode = 200;
  res.setHeader('content-type', 'application/grpc');
  res.setHeader('grpc-status', String(grpcStatus));
  if (message !== '') res.setHeader('grpc-message', encodeGrpcMessage(message));
  res.setHeader('date', new Date().toUTCString());
  res.setHeader('server', context.server.name);
  res.end();
}
