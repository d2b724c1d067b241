// gRPC status codes by the names Istio's VirtualService takes (fault.abort.grpcStatus is a
// string such as "UNAVAILABLE"); Envoy's fault filter wants the number.
export const GRPC_STATUS_CODES: Readonly<Record<string, number>> = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
};

/** The code for a status name; names are case-sensitive, as Istio's validation has them. */
export function grpcStatusCode(name: unknown): number | undefined {
  return typeof name === 'string' && Object.hasOwn(GRPC_STATUS_CODES, name) ? GRPC_STATUS_CODES[name] : undefined;
}
