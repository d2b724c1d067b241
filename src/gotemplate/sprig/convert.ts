// The conversions sprig builds its functions on: strval (text of any value), strslice,
// spf13/cast's ToInt64/ToFloat64, and reflect's Kind names.
import { FuncError } from '../errors.js';
import { sprint } from '../printf.js';
import { isMap, isTrue, kindOf } from '../values.js';

/** sprig's strval: strings as they are, errors and Stringers by method, else %v. */
export function strval(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return sprint([v ?? null]);
}

/** sprig's strslice: a list becomes its elements' text (nil elements dropped); nil is []. */
export function strslice(v: unknown): string[] {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return v.filter((e) => e !== null && e !== undefined).map(strval);
  return [strval(v)];
}

/** sprig's empty: Go's zero values and empty containers. */
export function empty(v: unknown): boolean {
  return !isTrue(v);
}

/** reflect.Kind names as sprig's kindOf reports them. */
export function reflectKind(v: unknown): string {
  switch (kindOf(v)) {
    case 'invalid':
    case 'nil':
      return 'invalid';
    case 'bool':
      return 'bool';
    case 'int':
      return typeof v === 'bigint' ? 'int64' : 'int';
    case 'float':
      return 'float64';
    case 'string':
      return 'string';
    case 'slice':
      return 'slice';
    case 'map':
      return 'map';
    case 'func':
      return 'func';
    default:
      return 'ptr';
  }
}

/** spf13/cast ToInt64: numbers truncate, strings parse (base prefixes allowed), failures are 0. */
export function toInt64(v: unknown): number {
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v) ? Math.trunc(v) : 0;
    case 'bigint':
      return Number(v);
    case 'boolean':
      return v ? 1 : 0;
    case 'string': {
      // cast trims a ".0…" tail before parsing; a leading 0 means octal as in Go.
      let s = v.trim().replace(/\.0*$/, '');
      if (s === '') return 0;
      const neg = s.startsWith('-');
      if (s.startsWith('-') || s.startsWith('+')) s = s.slice(1);
      let n: number;
      if (/^0[xX][0-9a-fA-F_]+$/.test(s)) n = parseInt(s.slice(2).replace(/_/g, ''), 16);
      else if (/^0[bB][01_]+$/.test(s)) n = parseInt(s.slice(2).replace(/_/g, ''), 2);
      else if (/^0[oO][0-7_]+$/.test(s)) n = parseInt(s.slice(2).replace(/_/g, ''), 8);
      else if (/^0[0-7_]+$/.test(s)) n = parseInt(s.slice(1).replace(/_/g, ''), 8);
      else if (/^[0-9]+$/.test(s)) n = Number(s);
      else return 0;
      return neg ? -n : n;
    }
    default:
      return 0;
  }
}

export function toFloat64(v: unknown): number {
  switch (typeof v) {
    case 'number':
      return v;
    case 'bigint':
      return Number(v);
    case 'boolean':
      return v ? 1 : 0;
    case 'string': {
      const s = v.trim();
      if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
      if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
      if (/^nan$/i.test(s)) return NaN;
      return 0;
    }
    default:
      return 0;
  }
}

/** Lists as sprig accepts them: arrays only, or an error naming the Go kind. */
export function requireList(v: unknown, what: string): unknown[] {
  if (Array.isArray(v)) return v;
  if (v instanceof Uint8Array) return [...v];
  throw new FuncError(`${what} ${reflectKind(v)}`);
}

/** A dict argument sprig type-asserts; the message is Go's failed type assertion. */
export function requireDict(v: unknown): Record<string, unknown> {
  if (isMap(v) && !(v instanceof Map)) return v;
  const got = v === null || v === undefined ? 'nil' : reflectKind(v) === 'slice' ? '[]interface {}' : reflectKind(v);
  throw new FuncError(`interface conversion: interface {} is ${got}, not map[string]interface {}`);
}

/** reflect.DeepEqual over plain data. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (Array.isArray(b)) return false;
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map) || !(b instanceof Map) || a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !deepEqual(v, b.get(k))) return false;
    return true;
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** A deep copy of plain data (copystructure's role in sprig). */
export function deepCopy<T>(v: T): T {
  if (Array.isArray(v)) return v.map(deepCopy) as T;
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, deepCopy(x)])) as T;
  if (isMap(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = deepCopy(x);
    return out as T;
  }
  return v;
}
