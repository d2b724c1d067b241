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
