// A VirtualService route's `fault` as the fault filter's per-route config
// (envoy.extensions.filters.http.fault.v3.HTTPFault), encoded as Istio encodes it:
// - delay: `fixedDelay` (a Go duration in Istio, "100ms" included) with `percentage`
//   ({value} over MILLION) or else the deprecated integer `percent` (over HUNDRED, 0 when
//   unset: no request delayed). An exponentialDelay is not supported by Envoy: no delay.
// - abort: `httpStatus`, or `grpcStatus` by name ("UNAVAILABLE" → grpc_status 14), with
//   `percentage`; without one the abort has no percentage, which Envoy reads as 0 %.
//   Other kinds (http2Error) are not supported by Envoy: no abort.
// A fault left with neither is not generated. Values Istio's validation would refuse (an
// unknown gRPC status, an HTTP status outside 200..599, a delay under 1 ms) drop that half of
// the fault rather than sending a config the proxy would refuse for the whole route table.
import { grpcStatusCode } from './grpc-status.js';
import { parseGoDuration, protoDurationFromNanos } from './duration.js';

type Obj = Record<string, any>;

const FAULT_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';
const ONE_MS = 1_000_000n;

/**
 * Istio's Percent ({value: 0..100, fractions allowed}) over MILLION. Istio converts with
 * uint32(value * 10000), truncating, and so do we, so that 0.57 % is 5699 as it is there.
 */
export function fractionalPercent(percent: Obj): Obj {
  const value = Math.min(Math.max(Number(percent['value'] ?? 0), 0), 100);
  return { numerator: Math.trunc(value * 10000), denominator: 'MILLION' };
}

function delayConfig(delay: Obj): Obj | undefined {
  if (delay['fixedDelay'] === undefined) return undefined;
  const nanos = typeof delay['fixedDelay'] === 'string' ? parseGoDuration(delay['fixedDelay'].trim()) : undefined;
  if (nanos === undefined || nanos < ONE_MS) return undefined;
  const percentage = delay['percentage'] !== undefined && delay['percentage'] !== null
    ? fractionalPercent(delay['percentage'] as Obj)
    : { numerator: Math.max(Math.trunc(Number(delay['percent'] ?? 0)), 0), denominator: 'HUNDRED' };
  return { fixedDelay: protoDurationFromNanos(nanos), percentage };
}

function abortConfig(abort: Obj): Obj | undefined {
  let out: Obj;
  if (abort['httpStatus'] !== undefined) {
    const status = Number(abort['httpStatus']);
    if (!Number.isInteger(status) || status < 200 || status > 599) return undefined;
    out = { httpStatus: status };
  } else if (abort['grpcStatus'] !== undefined) {
    const code = grpcStatusCode(abort['grpcStatus']);
    if (code === undefined) return undefined;
    out = { grpcStatus: code };
  } else {
    return undefined;
  }
  if (abort['percentage'] !== undefined && abort['percentage'] !== null) out['percentage'] = fractionalPercent(abort['percentage'] as Obj);
  return out;
}

/** The fault filter's typed_per_filter_config for an HTTP route's `fault`, or undefined when nothing in it applies. */
export function faultConfig(fault: Obj): Obj | undefined {
  const delay = fault['delay'] ? delayConfig(fault['delay'] as Obj) : undefined;
  const abort = fault['abort'] ? abortConfig(fault['abort'] as Obj) : undefined;
  if (!delay && !abort) return undefined;
  return { '@type': FAULT_TYPE, ...(delay ? { delay } : {}), ...(abort ? { abort } : {}) };
}
