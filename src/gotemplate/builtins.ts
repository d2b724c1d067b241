// The functions every Go template has: comparison, logic, indexing, printing, escaping.
// `and` and `or` appear here for name lookup; the executor gives them their short-circuit.
import { FuncError } from './errors.js';
import { goFunc, type FuncMap } from './funcs.js';
import { sprint, sprintf, sprintln } from './printf.js';
import { goLen, goTypeName, isTrue, kindOf, mapLookup } from './values.js';

type BasicKind = 'bool' | 'int' | 'float' | 'string' | 'invalid';

const errBadComparisonType = 'invalid type for comparison';
const errBadComparison = 'incompatible types for comparison';
const errNoComparison = 'missing argument for comparison';

function basicKind(v: unknown): { kind: BasicKind; ok: boolean } {
  const k = kindOf(v);
  if (k === 'bool' || k === 'int' || k === 'float' || k === 'string') return { kind: k, ok: true };
  return { kind: 'invalid', ok: false };
}

const isNumberKind = (k: BasicKind): boolean => k === 'int' || k === 'float';
const isValid = (v: unknown): boolean => v !== undefined && v !== null;

function num(v: unknown): number | bigint {
  return v as number | bigint;
}

/** Go compares strings byte-wise, which is code point order, not UTF-16 order. */
function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

function compareNumbers(a: number | bigint, b: number | bigint): number {
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    // Mixed bigint/number: compare exactly when both are integral.
    if (typeof a === 'number' && !Number.isInteger(a)) return a - Number(b);
    if (typeof b === 'number' && !Number.isInteger(b)) return Number(a) - b;
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : a === b ? 0 : NaN;
}

export function eq(arg1: unknown, ...rest: unknown[]): boolean {
  if (rest.length === 0) throw new FuncError(errNoComparison);
  const k1 = basicKind(arg1).kind;
  for (const arg of rest) {
    const k2 = basicKind(arg).kind;
    let truth = false;
    if (k1 !== k2) {
      // Int and float are one kind here: a JSON number's Go type depends on its value.
      if (isNumberKind(k1) && isNumberKind(k2)) truth = compareNumbers(num(arg1), num(arg)) === 0;
      else if (isValid(arg1) && isValid(arg)) throw new FuncError(errBadComparison);
    } else {
      switch (k1) {
        case 'bool':
        case 'string':
          truth = arg1 === arg;
          break;
        case 'int':
        case 'float':
          truth = compareNumbers(num(arg1), num(arg)) === 0;
          break;
        default: {
          const nil1 = !isValid(arg1);
          const nil2 = !isValid(arg);
          if (nil1 || nil2) truth = nil1 === nil2;
          else if (kindOf(arg1) !== kindOf(arg)) throw new FuncError(errBadComparison);
          else if (kindOf(arg) === 'slice' || kindOf(arg) === 'map' || kindOf(arg) === 'func') {
            throw new FuncError(`non-comparable type ${sprint([arg])}: ${goTypeName(arg)}`);
          } else truth = arg1 === arg;
        }
      }
    }
    if (truth) return true;
  }
  return false;
}

export function lt(arg1: unknown, arg2: unknown): boolean {
  const a = basicKind(arg1);
  if (!a.ok) throw new FuncError(errBadComparisonType);
  const b = basicKind(arg2);
  if (!b.ok) throw new FuncError(errBadComparisonType);
  if (a.kind !== b.kind && !(isNumberKind(a.kind) && isNumberKind(b.kind))) throw new FuncError(errBadComparison);
  switch (a.kind) {
    case 'bool':
      throw new FuncError(errBadComparisonType);
    case 'string':
      return compareStrings(arg1 as string, arg2 as string) < 0;
    default:
      return compareNumbers(num(arg1), num(arg2)) < 0;
  }
}

const le = (a: unknown, b: unknown): boolean => lt(a, b) || eq(a, b);

function indexArg(index: unknown, cap: number): number {
  const k = kindOf(index);
  if (k === 'invalid' || k === 'nil') throw new FuncError('cannot index slice/array with nil');
  if (k !== 'int') throw new FuncError(`cannot index slice/array with type ${goTypeName(index)}`);
  const x = Number(index);
  if (x < 0 || x > cap) throw new FuncError(`index out of range: ${String(index)}`);
  return x;
}

export function index(item: unknown, ...indexes: unknown[]): unknown {
  if (!isValid(item)) throw new FuncError('index of untyped nil');
  let cur: unknown = item;
  for (const ix of indexes) {
    if (cur === null || cur === undefined) throw new FuncError('index of nil pointer');
    switch (kindOf(cur)) {
      case 'string': {
        const bytes = Buffer.from(cur as string, 'utf8');
        const x = indexArg(ix, bytes.length);
        if (x === bytes.length) throw new FuncError(`index out of range: ${x}`);
        cur = bytes[x];
        break;
      }
      case 'slice': {
        const arr = cur as ArrayLike<unknown>;
        const x = indexArg(ix, arr.length);
        if (x === arr.length) throw new FuncError(`index out of range: ${x}`);
        cur = arr[x] ?? null;
        break;
      }
      case 'map': {
        if (!(cur instanceof Map) && typeof ix !== 'string') {
          if (!isValid(ix)) throw new FuncError('value is nil; should be of type string');
          throw new FuncError(`value has type ${goTypeName(ix)}; should be string`);
        }
        const r = mapLookup(cur as Record<string, unknown>, ix);
        // An absent key yields the element type's zero value: a nil interface{}, unless the map declares another.
        cur = r.found ? r.value : (r.value ?? null);
        break;
      }
      default:
        throw new FuncError(`can't index item of type ${goTypeName(cur)}`);
    }
  }
  return cur;
}

export function slice(item: unknown, ...indexes: unknown[]): unknown {
  if (!isValid(item)) throw new FuncError('slice of untyped nil');
  if (indexes.length > 3) throw new FuncError(`too many slice indexes: ${indexes.length}`);
  const k = kindOf(item);
  let len: number;
  if (k === 'string') {
    if (indexes.length === 3) throw new FuncError('cannot 3-index slice a string');
    len = Buffer.byteLength(item as string, 'utf8');
  } else if (k === 'slice') len = (item as ArrayLike<unknown>).length;
  else throw new FuncError(`can't slice item of type ${goTypeName(item)}`);
  const idx = [0, len, len];
  indexes.forEach((ix, i) => (idx[i] = indexArg(ix, len)));
  if (idx[0]! > idx[1]!) throw new FuncError(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (indexes.length === 3 && idx[1]! > idx[2]!) throw new FuncError(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  if (k === 'string') return Buffer.from(item as string, 'utf8').subarray(idx[0], idx[1]).toString('utf8');
  return Array.prototype.slice.call(item, idx[0], idx[1]);
}

function length(item: unknown): number {
  // Go panics inside reflect for a missing value and reports that panic.
  if (item === undefined) throw new FuncError('reflect: call of reflect.Value.Type on zero Value');
  if (item === null) throw new FuncError('len of nil pointer');
  const n = goLen(item);
  if (n === undefined) throw new FuncError(`len of type ${goTypeName(item)}`);
  return n;
}

/** How html/js/urlquery see their operands: one string as is, else Sprint of them all. */
function evalArgs(args: unknown[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args.map((a) => (a === undefined ? '<no value>' : a)));
}

export function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) => {
    switch (c) {
      case '\0':
        return '\uFFFD';
      case '"':
        return '&#34;';
      case "'":
        return '&#39;';
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      default:
        return '&gt;';
    }
  });
}

export function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '\\':
        out += '\\\\';
        continue;
      case "'":
        out += "\\'";
        continue;
      case '"':
        out += '\\"';
        continue;
      case '<':
        out += '\\u003C';
        continue;
      case '>':
        out += '\\u003E';
        continue;
      case '&':
        out += '\\u0026';
        continue;
      case '=':
        out += '\\u003D';
        continue;
    }
    if (cp < 0x20) out += '\\u' + cp.toString(16).toUpperCase().padStart(4, '0');
    else if (cp < 0x80 || /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch)) out += ch;
    else out += '\\u' + cp.toString(16).toUpperCase().padStart(4, '0');
  }
  return out;
}

/** url.QueryEscape: space becomes '+', everything but unreserved characters is %XX. */
export function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

function call(fn: unknown, ...args: unknown[]): unknown {
  if (!isValid(fn)) throw new FuncError('call of nil');
  if (typeof fn !== 'function') throw new FuncError(`non-function of type ${goTypeName(fn)}`);
  return (fn as (...a: unknown[]) => unknown)(...args.map((a) => (a === undefined ? null : a)));
}

/** The builtin functions; `and`/`or` bodies are only used when called through `call`. */
export const builtinFuncs: FuncMap = {
  and: goFunc(['value'], (...args: unknown[]) => args.find((a) => !isTrue(a)) ?? args[args.length - 1], 'value'),
  or: goFunc(['value'], (...args: unknown[]) => args.find((a) => isTrue(a)) ?? args[args.length - 1], 'value'),
  not: goFunc(['value'], (a: unknown) => !isTrue(a)),
  eq: goFunc(['value'], eq, 'value'),
  ne: goFunc(['value', 'value'], (a: unknown, b: unknown) => !eq(a, b)),
  lt: goFunc(['value', 'value'], lt),
  le: goFunc(['value', 'value'], le),
  gt: goFunc(['value', 'value'], (a: unknown, b: unknown) => !le(a, b)),
  ge: goFunc(['value', 'value'], (a: unknown, b: unknown) => !lt(a, b)),
  len: goFunc(['value'], length),
  index: goFunc(['value'], index, 'value'),
  slice: goFunc(['value'], slice, 'value'),
  print: goFunc([], (...args: unknown[]) => sprint(args), 'any'),
  printf: goFunc(['string'], (format: string, ...args: unknown[]) => sprintf(format, args), 'any'),
  println: goFunc([], (...args: unknown[]) => sprintln(args), 'any'),
  html: goFunc([], (...args: unknown[]) => htmlEscape(evalArgs(args)), 'value'),
  js: goFunc([], (...args: unknown[]) => jsEscape(evalArgs(args)), 'value'),
  urlquery: goFunc([], (...args: unknown[]) => queryEscape(evalArgs(args)), 'value'),
  call: goFunc(['value'], call, 'value'),
};

