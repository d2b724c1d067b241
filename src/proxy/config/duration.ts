// google.protobuf.Duration in its proto3 JSON form ("1.500s"), which is how
// decoded config carries it (the same text config_dump prints back).
const DURATION = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;

/** Parses "1s", "0.25s", "-2.000000001s"; undefined when malformed. */
export function parseDuration(text: string): { seconds: number; nanos: number } | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  const sign = m[1] ? -1 : 1;
  const seconds = Number(m[2]);
  const nanos = m[3] ? Number(m[3].padEnd(9, '0')) : 0;
  if (seconds > 315_576_000_000) return undefined;
  return { seconds: sign * seconds, nanos: sign * nanos };
}

/** Prints as protobuf's JSON mapping does: 0, 3, 6 or 9 fractional digits. */
export function formatDuration(d: { seconds: number; nanos: number }): string {
  const negative = d.seconds < 0 || d.nanos < 0;
  const seconds = Math.abs(d.seconds);
  const nanos = Math.abs(d.nanos);
  let fraction = '';
  if (nanos !== 0) {
    const digits = String(nanos).padStart(9, '0');
    fraction = nanos % 1_000_000 === 0 ? `.${digits.slice(0, 3)}` : nanos % 1000 === 0 ? `.${digits.slice(0, 6)}` : `.${digits}`;
  }
  return `${negative ? '-' : ''}${seconds}${fraction}s`;
}

/** Milliseconds of a decoded Duration string, or the fallback when the field is unset. */
export function durationMs(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const d = parseDuration(text);
  if (!d) return fallback;
  return d.seconds * 1000 + d.nanos / 1e6;
}
