// Whether an attempt's outcome is retried under a retry policy: a pure
// function, so the table of Envoy's retry_on semantics is testable.
import type { RetryOn, RetryPolicy } from './route-config.js';

export type AttemptOutcome =
  | { kind: 'response'; status: number; grpcStatus?: number }
  | { kind: 'connect-failure' }
  | { kind: 'reset'; refusedStream?: boolean }
  | { kind: 'per-try-timeout' };

/** retry_on names for gRPC status codes. */
const GRPC_RETRY: readonly (readonly [RetryOn, number])[] = [['cancelled', 1], ['deadline-exceeded', 4], ['resource-exhausted', 8], ['internal', 13], ['unavailable', 14]];

export function shouldRetry(policy: RetryPolicy | undefined, outcome: AttemptOutcome): boolean {
  if (!policy) return false;
  const on = policy.retryOn;
  switch (outcome.kind) {
    case 'connect-failure':
      return on.has('connect-failure') || on.has('5xx') || on.has('gateway-error') || on.has('reset');
    case 'reset':
      return on.has('reset') || on.has('5xx') || on.has('gateway-error') || (outcome.refusedStream === true && on.has('refused-stream'));
    case 'per-try-timeout':
      return on.has('5xx') || on.has('gateway-error') || on.has('reset');
    case 'response': {
      const s = outcome.status;
      if (on.has('5xx') && s >= 500 && s <= 599) return true;
      if (on.has('gateway-error') && (s === 502 || s === 503 || s === 504)) return true;
      if (on.has('retriable-4xx') && s === 409) return true;
      const g = outcome.grpcStatus;
      if (g !== undefined && GRPC_RETRY.some(([name, code]) => code === g && on.has(name))) return true;
      return on.has('retriable-status-codes') && policy.retriableStatusCodes.has(s);
    }
  }
}

/** Envoy's default back-off: 25 ms base, doubling, fully jittered, capped at 10x the base. */
export function backoffMs(retryNumber: number, random: number): number {
  const ceiling = Math.min(25 * 2 ** (retryNumber - 1), 250);
  return Math.floor(random * ceiling);
}
