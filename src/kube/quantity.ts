// Kubernetes resource quantities ("100m", "1Gi", "129e6"), parsed exactly and printed in the
// canonical form the API server stores, so that what the injector writes reads back the same.
//
// Rules, as the API server applies them:
//   - the value is exact (here: a bigint count of 10^-9 units); anything finer than 1n is
//     rounded up, away from zero ("you asked for some, you get some");
//   - the suffix style of the input is kept: binary (Ki…Ei), decimal SI (n…E) or decimal
//     exponent (e3) — so "1e3" stays "1e3" and "1000" becomes "1k";
//   - the printed number has no fraction and the largest suffix that keeps it exact
//     ("0.5" → "500m", "1.5Gi" → "1536Mi", "1024Mi" → "1Gi");
//   - a binary quantity that is below 1024 in magnitude or not a whole number prints in
//     decimal SI ("0.5Ki" → "512");
//   - a binary quantity is capped at 2^63-1 in magnitude ("2048Ei" → "9223372036854775807").

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** The value in units of 10^-9: "1" is 1_000_000_000n, "100m" is 100_000_000n. */
  nanos: bigint;
  format: QuantityFormat;
}

export class QuantityError extends Error {
  constructor(readonly text: string) {
    super(
      `quantity ${JSON.stringify(text)} is not valid: expected a number with an optional suffix ` +
        '(n, u, m, k, M, G, T, P, E; Ki, Mi, Gi, Ti, Pi, Ei; or e<exponent>), e.g. "100m", "1.5Gi", "129e6"',
    );
    this.name = 'QuantityError';
  }
}

const NANO_EXPONENT = 9;
const MAX_EXPONENT = 100;
const MAX_BINARY_NANOS = (2n ** 63n - 1n) * 10n ** 9n;

const decimalSuffixes: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binarySuffixes: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const decimalSuffixByExponent = new Map(Object.entries(decimalSuffixes).map(([suffix, exp]) => [exp, suffix]));
const binarySuffixByExponent = new Map(Object.entries(binarySuffixes).map(([suffix, exp]) => [exp, suffix]));

const QUANTITY = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)$/;

function pow10(exponent: number): bigint {
  return 10n ** BigInt(exponent);
}

/** Parses a quantity; JSON numbers (`cpu: 0.5` in YAML) are accepted as the API server does. */
export function parseQuantity(input: string | number): Quantity {
  const text = typeof input === 'number' ? numberText(input) : input;
  const match = QUANTITY.exec(text);
  if (!match) throw new QuantityError(text);
  const [, sign = '', whole = '', fraction = '', suffix = ''] = match;
  if (whole === '' && fraction === '') throw new QuantityError(text);

  let format: QuantityFormat;
  let exponent10 = 0;
  let exponent2 = 0;
  if (suffix in binarySuffixes) {
    format = 'BinarySI';
    exponent2 = binarySuffixes[suffix]!;
  } else if (suffix in decimalSuffixes) {
    format = 'DecimalSI';
    exponent10 = decimalSuffixes[suffix]!;
  } else if (/^[eE][+-]?[0-9]+$/.test(suffix)) {
    format = 'DecimalExponent';
    exponent10 = Number(suffix.slice(1));
  } else {
    throw new QuantityError(text);
  }

  // Far beyond int64, where the API server stops being exact anyway; refusing keeps a
  // hostile "1e999999999" from costing a webhook unbounded time.
  if (Math.abs(exponent10) > MAX_EXPONENT || whole.length + fraction.length > MAX_EXPONENT) throw new QuantityError(text);

  // value = digits × 10^(exponent10 - fraction digits) × 2^exponent2, counted in nanos.
  let numerator = BigInt(`${whole}${fraction}` || '0') * 2n ** BigInt(exponent2);
  let denominator = 1n;
  const scale = exponent10 - fraction.length + NANO_EXPONENT;
  if (scale >= 0) numerator *= pow10(scale);
  else denominator = pow10(-scale);
  let nanos = numerator / denominator;
  if (numerator % denominator !== 0n) nanos += 1n; // round up, away from zero
  if (sign === '-') nanos = -nanos;

  if (format === 'BinarySI' && abs(nanos) > MAX_BINARY_NANOS) nanos = nanos < 0n ? -MAX_BINARY_NANOS : MAX_BINARY_NANOS;
  // A binary quantity with a fraction of a unit has no binary spelling.
  if (format === 'BinarySI' && nanos !== 0n && abs(nanos) < pow10(NANO_EXPONENT)) format = 'DecimalSI';
  return { nanos, format };
}

function numberText(value: number): string {
  if (!Number.isFinite(value)) throw new QuantityError(String(value));
  return String(value);
}

function abs(value: bigint): bigint {
  return value < 0n ? -value : value;
}

/** Prints a quantity in canonical form. */
export function formatQuantity(quantity: Quantity): string {
  const { nanos } = quantity;
  if (nanos === 0n) return '0';
  const sign = nanos < 0n ? '-' : '';
  const magnitude = abs(nanos);
  const one = pow10(NANO_EXPONENT);
  if (quantity.format === 'BinarySI' && magnitude >= 1024n * one && magnitude % one === 0n) {
    let amount = magnitude / one;
    let exponent = 0;
    while (amount % 1024n === 0n && exponent < 60) {
      amount /= 1024n;
      exponent += 10;
    }
    return `${sign}${amount}${binarySuffixByExponent.get(exponent) ?? ''}`;
  }

  // Move every factor of ten into the exponent, then bring the exponent down to a multiple
  // of three so that an SI suffix (or an engineering exponent) can name it.
  let amount = magnitude;
  let exponent = -NANO_EXPONENT;
  while (amount % 10n === 0n) {
    amount /= 10n;
    exponent += 1;
  }
  const excess = ((exponent % 3) + 3) % 3;
  amount *= pow10(excess);
  exponent -= excess;

  if (quantity.format === 'DecimalExponent') return `${sign}${amount}${exponent === 0 ? '' : `e${exponent}`}`;
  // Beyond exa there is no SI suffix: keep the digits and say E.
  if (exponent > 18) {
    amount *= pow10(exponent - 18);
    exponent = 18;
  }
  return `${sign}${amount}${decimalSuffixByExponent.get(exponent) ?? ''}`;
}

/** Parses and prints in canonical form: "0.5" → "500m", "1024Mi" → "1Gi". */
export function canonicalQuantity(input: string | number): string {
  return formatQuantity(parseQuantity(input));
}

/** Orders two quantities by value, whatever their format. */
export function compareQuantities(a: Quantity, b: Quantity): -1 | 0 | 1 {
  return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0;
}

/**
 * Canonicalizes every value of a ResourceList (`resources.requests`, `resources.limits`).
 * Throws QuantityError naming the resource whose quantity is invalid.
 */
export function canonicalResourceList(list: Readonly<Record<string, string | number>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(list).map(([resource, value]) => {
      try {
        return [resource, canonicalQuantity(value)];
      } catch (err) {
        if (err instanceof QuantityError) err.message = `${resource}: ${err.message}`;
        throw err;
      }
    }),
  );
}
