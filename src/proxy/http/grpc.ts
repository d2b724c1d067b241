// What the HTTP path needs to know about gRPC: which requests are gRPC, the gRPC
// status a local reply's HTTP status stands for, and grpc-message's encoding.

/**
 * Envoy's test: content-type exactly "application/grpc" or "application/grpc+<codec>"
 * (application/grpc+proto, +json). "application/grpc-web" is not gRPC: grpc-web clients read
 * HTTP statuses, not trailers.
 */
export function isGrpcContentType(contentType: string | string[] | undefined): boolean {
  if (typeof contentType !== 'string' || !contentType.startsWith('application/grpc')) return false;
  return contentType.length === 'application/grpc'.length || contentType.charAt('application/grpc'.length) === '+';
}

/** gRPC status codes by name, the ones the proxy uses. */
export const GrpcStatus = {
  OK: 0,
  UNKNOWN: 2,
  PERMISSION_DENIED: 7,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** Envoy's mapping (after gRPC's own HTTP-to-gRPC table) for a local reply sent to a gRPC client. */
export function httpToGrpcStatus(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return GrpcStatus.INTERNAL;
    case 401:
      return GrpcStatus.UNAUTHENTICATED;
    case 403:
      return GrpcStatus.PERMISSION_DENIED;
    case 404:
      return GrpcStatus.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return GrpcStatus.UNAVAILABLE;
    default:
      return GrpcStatus.UNKNOWN;
  }
}

/**
 * grpc-message as the gRPC spec has it: UTF-8, with every byte outside printable ASCII
 * (0x20..0x7E) and "%" itself percent-encoded. Spaces stay as they are, so the header reads
 * like the body a non-gRPC client would have got.
 */
export function encodeGrpcMessage(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
