// How plain JavaScript data stands in for Go values.
//
//   JS value                         Go value
//   undefined / absent key           an invalid reflect.Value ("no value")
//   null                             a nil interface{}
//   integral number, bigint          int (bigint: int64)
//   non-integral number, NaN, ±Inf   float64
//   string, boolean                  string, bool
//   array                            []interface{}
//   plain object, Map                map[string]interface{} (Map: map[interface{}]interface{})
//   function                         func
//   any other object                 a struct (pointer): fields and methods by name
//
// JSON and YAML hand Go float64 for every number, so Go would print 1000000 as 1e+06 and
// reject `eq 2 .count`; treating integral numbers as int is the choice that gives users
// what they meant, and it is what Go does for values that came from Go code.

export type Kind = 'invalid' | 'nil' | 'bool' | 'int' | 'float' | 'string' | 'slice' | 'map' | 'func' | 'struct';

export function kindOf(v: unknown): Kind {
  if (v === undefined) return 'invalid';
  if (v === null) return 'nil';
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'number':
      return isGoInt(v as number) ? 'int' : 'float';
    case 'bigint':
      return 'int';
    case 'string':
      return 'string';
    case 'function':
      return 'func';
  }
  if (Array.isArray(v) || v instanceof Uint8Array) return 'slice';
  if (isMap(v)) return 'map';
  return 'struct';
}

/** Integral numbers within int64's range are Go ints; everything else is a float64. */
export function isGoInt(n: number): boolean {
  return Number.isInteger(n) && Math.abs(n) < 2 ** 63;
}

/** A plain object or a Map: something Go would see as a map. */
export function isMap(v: unknown): v is Record<string, unknown> | Map<unknown, unknown> {
  if (v instanceof Map) return true;
  return isPlainObject(v);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Go's reflect type name, as it appears in %T and in error messages. */
export function goTypeName(v: unknown): string {
  switch (kindOf(v)) {
    case 'invalid':
    case 'nil':
      return '<nil>';
    case 'bool':
      return 'bool';
    case 'int':
      return typeof v === 'bigint' ? 'int64' : 'int';
    case 'float':
      return 'float64';
    case 'string':
      return 'string';
    case 'slice':
      return v instanceof Uint8Array ? '[]uint8' : '[]interface {}';
    case 'map':
      return v instanceof Map ? 'map[interface {}]interface {}' : 'map[string]interface {}';
    case 'func':
      return 'func(...interface {}) (interface {}, error)';
    case 'struct': {
      const name = (v as object).constructor?.name;
      return name ? `*${name}` : 'struct {}';
    }
  }
}

/** Entries of a map in Go's printing/range order: keys sorted. */
export function sortedEntries(m: Record<string, unknown> | Map<unknown, unknown>): Array<[unknown, unknown]> {
  const entries: Array<[unknown, unknown]> =
    m instanceof Map ? [...m.entries()] : Object.keys(m).map((k) => [k, (m as Record<string, unknown>)[k]]);
  return entries.filter(([, v]) => v !== undefined).sort(([a], [b]) => compareKeys(a, b));
}

function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  const sa = String(a);
  const sb = String(b);
  if (typeof a !== typeof b) return typeof a < typeof b ? -1 : 1;
  // Go sorts strings by their UTF-8 bytes; code point order is the same.
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/**
 * Marks a map whose element type has a zero value other than nil, as Go's
 * map[string]string does: a missing key then reads as that value ("" for labels).
 * Set it as a non-enumerable property: `Object.defineProperty(m, GO_MAP_ZERO, { value: '' })`.
 */
export const GO_MAP_ZERO: unique symbol = Symbol.for('go.map.zero');

/** Looks a key up in a map; absent (or undefined) entries are Go's "no entry", valued at the map's zero if it declares one. */
export function mapLookup(m: Record<string, unknown> | Map<unknown, unknown>, key: unknown): { found: boolean; value: unknown } {
  const zero = (m as { [GO_MAP_ZERO]?: unknown })[GO_MAP_ZERO];
  if (m instanceof Map) {
    const value = m.get(key);
    return value !== undefined ? { found: true, value } : { found: false, value: zero };
  }
  if (typeof key !== 'string' || !Object.prototype.hasOwnProperty.call(m, key)) return { found: false, value: zero };
  const value = m[key];
  return value !== undefined ? { found: true, value } : { found: false, value: zero };
}

export function mapSize(m: Record<string, unknown> | Map<unknown, unknown>): number {
  if (m instanceof Map) return m.size;
  let n = 0;
  for (const k in m) if (Object.prototype.hasOwnProperty.call(m, k) && m[k] !== undefined) n++;
  return n;
}

/** Go's truth for if/with/and/or/not: zero values and empty containers are false. */
export function isTrue(v: unknown): boolean {
  switch (kindOf(v)) {
    case 'invalid':
    case 'nil':
      return false;
    case 'bool':
      return v as boolean;
    case 'int':
    case 'float':
      return typeof v === 'bigint' ? v !== 0n : v !== 0;
    case 'string':
      return (v as string).length > 0;
    case 'slice':
      return (v as ArrayLike<unknown>).length > 0;
    case 'map':
      return mapSize(v as Record<string, unknown>) > 0;
    case 'struct':
      // A typed nil pointer (e.g. an unset proto wrapper whose getters still answer) is false.
      return (v as Record<symbol, unknown>)[GO_NIL] !== true;
    default:
      return true;
  }
}

/**
 * Marks an object as Go's typed nil pointer: its methods can be called (Go's
 * nil-safe getters) but if/with/and/or/not treat it as nil.
 */
export const GO_NIL: unique symbol = Symbol.for('go.nil');

/** Length as Go's len counts it: strings in UTF-8 bytes. */
export function goLen(v: unknown): number | undefined {
  switch (kindOf(v)) {
    case 'string':
      return Buffer.byteLength(v as string, 'utf8');
    case 'slice':
      return (v as ArrayLike<unknown>).length;
    case 'map':
      return mapSize(v as Record<string, unknown>);
    default:
      return undefined;
  }
}

export function toBigInt(v: number | bigint): bigint {
  return typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
}
