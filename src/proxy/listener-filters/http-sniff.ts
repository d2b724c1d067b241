// Recognises plaintext HTTP from the first bytes, as Envoy's http_inspector
// does: the HTTP/2 prior-knowledge preface means "h2c"; an HTTP/1.x request
// line means "http/1.1" or "http/1.0"; anything else is not HTTP.

export type HttpSniffResult = 'h2c' | 'http/1.1' | 'http/1.0' | 'not-http' | 'need-more';

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** Envoy stops looking after this many bytes without a complete request line. */
export const MAX_REQUEST_LINE = 8192;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function sniffHttp(data: Buffer): HttpSniffResult {
  const prefaceBytes = Math.min(data.length, H2_PREFACE.length);
  if (data.subarray(0, prefaceBytes).equals(H2_PREFACE.subarray(0, prefaceBytes))) {
    return prefaceBytes === H2_PREFACE.length ? 'h2c' : 'need-more';
  }
  const lineEnd = data.indexOf('\r\n');
  const line = (lineEnd < 0 ? data : data.subarray(0, lineEnd)).toString('latin1');
  // Reject early on bytes no request line can have, so server-first or binary protocols move on at once.
  const firstSpace = line.indexOf(' ');
  const method = firstSpace < 0 ? line : line.slice(0, firstSpace);
  if (method.length > 0 && !TOKEN.test(method)) return 'not-http';
  if (lineEnd < 0) return data.length >= MAX_REQUEST_LINE ? 'not-http' : 'need-more';
  const parts = line.split(' ');
  if (parts.length !== 3 || !TOKEN.test(parts[0]!) || parts[1] === '') return 'not-http';
  if (parts[2] === 'HTTP/1.1') return 'http/1.1';
  if (parts[2] === 'HTTP/1.0') return 'http/1.0';
  return 'not-http';
}
