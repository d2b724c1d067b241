// sprig's arithmetic: integer math on int64 (floats truncate, as spf13/cast does), plus the
// float variants and conversions.
import { FuncError } from '../errors.js';
import { goFunc, type FuncMap } from '../funcs.js';
import { toFloat64, toInt64 } from './convert.js';

const int64 = (v: unknown): number => toInt64(v);

function intDiv(a: number, b: number): number {
  if (b === 0) throw new FuncError('runtime error: integer divide by zero');
  return Math.trunc(a / b);
}

function intMod(a: number, b: number): number {
  if (b === 0) throw new FuncError('runtime error: integer divide by zero');
  return a % b;
}

/** sprig's round: to `places` decimals, rounding up from `roundOn` (default .5). */
function round(a: unknown, places: number, roundOn: unknown[] = []): number {
  const on = roundOn.length > 0 ? toFloat64(roundOn[0]) : 0.5;
  const val = toFloat64(a);
  const pow = Math.pow(10, places);
  const digit = pow * val;
  const frac = digit - Math.trunc(digit);
  return (frac >= on ? Math.ceil(digit) : Math.floor(digit)) / pow;
}

export const numberFuncs: FuncMap = {
  add: goFunc([], (...v: unknown[]) => v.reduce<number>((a, b) => a + int64(b), 0), 'any'),
  add1: goFunc(['any'], (v: unknown) => int64(v) + 1),
  sub: goFunc(['any', 'any'], (a: unknown, b: unknown) => int64(a) - int64(b)),
  mul: goFunc(['any'], (a: unknown, ...v: unknown[]) => v.reduce<number>((acc, b) => acc * int64(b), int64(a)), 'any'),
  div: goFunc(['any', 'any'], (a: unknown, b: unknown) => intDiv(int64(a), int64(b))),
  mod: goFunc(['any', 'any'], (a: unknown, b: unknown) => intMod(int64(a), int64(b))),
  max: goFunc(['any'], (a: unknown, ...v: unknown[]) => v.reduce<number>((m, b) => Math.max(m, int64(b)), int64(a)), 'any'),
  biggest: goFunc(['any'], (a: unknown, ...v: unknown[]) => v.reduce<number>((m, b) => Math.max(m, int64(b)), int64(a)), 'any'),
  min: goFunc(['any'], (a: unknown, ...v: unknown[]) => v.reduce<number>((m, b) => Math.min(m, int64(b)), int64(a)), 'any'),
  addf: goFunc([], (...v: unknown[]) => v.reduce<number>((a, b) => a + toFloat64(b), 0), 'any'),
  add1f: goFunc(['any'], (v: unknown) => toFloat64(v) + 1),
  subf: goFunc(['any'], (a: unknown, ...v: unknown[]) => v.reduce<number>((acc, b) => acc - toFloat64(b), toFloat64(a)), 'any'),
  mulf: goFunc(['any'], (a: unknown, ...v: unknown[]) => v.reduce<number>((acc, b) => acc * toFloat64(b), toFloat64(a)), 'any'),
  divf: goFunc(['any'], (a: unknown, ...v: unknown[]) => v.reduce<number>((acc, b) => acc / toFloat64(b), toFloat64(a)), 'any'),
  maxf: goFunc(['any'], (a: unknown, ...v: unknown[]) => v.reduce<number>((m, b) => Math.max(m, toFloat64(b)), toFloat64(a)), 'any'),
  minf: goFunc(['any'], (a: unknown, ...v: unknown[]) => v.reduce<number>((m, b) => Math.min(m, toFloat64(b)), toFloat64(a)), 'any'),
  int: goFunc(['any'], int64),
  int64: goFunc(['any'], int64),
  float64: goFunc(['any'], toFloat64),
  ceil: goFunc(['any'], (v: unknown) => Math.ceil(toFloat64(v))),
  floor: goFunc(['any'], (v: unknown) => Math.floor(toFloat64(v))),
  round: goFunc(['any', 'int'], (a: unknown, p: number, ...r: unknown[]) => round(a, p, r), 'any'),
};
