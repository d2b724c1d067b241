// Durations as Istio reads them and as Envoy's proto3 JSON writes them. Istio's resources are
// decoded with Go's legacy jsonpb, which parses a Duration with time.ParseDuration: "100ms",
// "1m30s" and "1.5s" are all valid in a VirtualService. Envoy's JSON form only has seconds
// ("0.100s"), which is what the proxy's strict decoder (and a real Envoy) expects.

const NANOS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const TERM = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Nanoseconds of a Go duration string ("1h2m3.5s", "-250ms", "0"), or undefined when it is not one. */
export function parseGoDuration(text: string): bigint | undefined {
  let rest = text;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') return undefined;
  let total = 0n;
  TERM.lastIndex = 0;
  while (TERM.lastIndex < rest.length) {
    const m = TERM.exec(rest);
    if (!m) return undefined;
    const [whole = '', fraction = ''] = m[1]!.split('.');
    const unit = NANOS[m[2]!]!;
    // Digits past the unit's precision are dropped, as Go does.
    total += BigInt(whole || '0') * unit + (fraction ? (BigInt(fraction) * unit) / 10n ** BigInt(fraction.length) : 0n);
  }
  return negative ? -total : total;
}

/** A proto3 JSON Duration ("2s", "0.100s", "1.000000001s") for nanoseconds. */
export function protoDurationFromNanos(nanos: bigint): string {
  const sign = nanos < 0n ? '-' : '';
  const abs = nanos < 0n ? -nanos : nanos;
  const seconds = abs / 1_000_000_000n;
  const rest = abs % 1_000_000_000n;
  if (rest === 0n) return `${sign}${seconds}s`;
  // 3, 6 or 9 fractional digits, as proto3 JSON writers do.
  let fraction = rest.toString().padStart(9, '0');
  while (fraction.endsWith('000')) fraction = fraction.slice(0, -3);
  return `${sign}${seconds}.${fraction}s`;
}

/** An Istio duration field as Envoy's JSON Duration, or undefined when it is not a duration. */
export function protoDuration(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const nanos = parseGoDuration(value.trim());
  return nanos === undefined ? undefined : protoDurationFromNanos(nanos);
}

/**
 * An Istio duration field for Envoy: converted when it parses; otherwise passed on as
 * written, so that the proxy's decoder refuses it by field name (Istio's validation would
 * have refused the resource).
 */
export function envoyDuration(value: unknown): string {
  return protoDuration(value) ?? String(value);
}
