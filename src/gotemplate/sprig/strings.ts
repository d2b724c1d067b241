// sprig's string functions. Argument order is sprig's (the subject last) so they pipe:
// {{ .name | trimSuffix "-" | upper }}.
import { createHash } from 'node:crypto';
import { goFunc, type FuncMap } from '../funcs.js';
import { quoteGo, sprint } from '../printf.js';
import { strslice, strval } from './convert.js';

const isGoSpace = (c: string): boolean => /^[\t\n\v\f\r \u0085\u00A0\p{Zs}\u2028\u2029]$/u.test(c);

function trimFunc(s: string, drop: (c: string) => boolean, left: boolean, right: boolean): string {
  const runes = [...s];
  let i = 0;
  let j = runes.length;
  if (left) while (i < j && drop(runes[i]!)) i++;
  if (right) while (j > i && drop(runes[j - 1]!)) j--;
  return runes.slice(i, j).join('');
}

/** strings.Title: the first letter of each word upper-cased; words split on non-letters/digits. */
function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const c of s) {
    const sep = !/^[\p{L}\p{N}_]$/u.test(prev);
    out += sep ? c.toUpperCase() : c;
    prev = c;
  }
  return out;
}

function untitle(s: string): string {
  let prev = ' ';
  let out = '';
  for (const c of s) {
    out += !/^[\p{L}\p{N}_]$/u.test(prev) ? c.toLowerCase() : c;
    prev = c;
  }
  return out;
}

/** Go slices strings by bytes; these helpers keep that for trunc/substr. */
const bytesOf = (s: string): Buffer => Buffer.from(s, 'utf8');
const byteSlice = (s: string, start: number, end?: number): string => bytesOf(s).subarray(start, end).toString('utf8');

function trunc(c: number, s: string): string {
  const len = bytesOf(s).length;
  if (c < 0 && len + c > 0) return byteSlice(s, len + c);
  if (c >= 0 && len > c) return byteSlice(s, 0, c);
  return s;
}

function substr(start: number, end: number, s: string): string {
  const len = bytesOf(s).length;
  if (start < 0) return byteSlice(s, 0, end);
  if (end < 0 || end > len) return byteSlice(s, start);
  return byteSlice(s, start, end);
}

/** strings.Split: an empty separator splits into characters. */
export function goSplit(s: string, sep: string, n = -1): string[] {
  if (n === 0) return [];
  if (sep === '') {
    const chars = [...s];
    if (n > 0 && chars.length > n) return [...chars.slice(0, n - 1), chars.slice(n - 1).join('')];
    return chars;
  }
  const parts = s.split(sep);
  if (n > 0 && parts.length > n) return [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
  return parts;
}

const toMap = (parts: string[]): Record<string, string> => Object.fromEntries(parts.map((p, i) => [`_${i}`, p]));

function adler32(s: string): number {
  let a = 1;
  let b = 0;
  for (const byte of bytesOf(s)) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

const nonNil = (args: unknown[]): unknown[] => args.filter((a) => a !== null && a !== undefined);

export const stringFuncs: FuncMap = {
  trim: goFunc(['string'], (s: string) => trimFunc(s, isGoSpace, true, true)),
  trimAll: goFunc(['string', 'string'], (cutset: string, s: string) => trimFunc(s, (c) => cutset.includes(c), true, true)),
  trimPrefix: goFunc(['string', 'string'], (p: string, s: string) => (s.startsWith(p) ? s.slice(p.length) : s)),
  trimSuffix: goFunc(['string', 'string'], (p: string, s: string) => (p !== '' && s.endsWith(p) ? s.slice(0, s.length - p.length) : s)),
  upper: goFunc(['string'], (s: string) => s.toUpperCase()),
  lower: goFunc(['string'], (s: string) => s.toLowerCase()),
  title: goFunc(['string'], title),
  untitle: goFunc(['string'], untitle),
  repeat: goFunc(['int', 'string'], (n: number, s: string) => {
    if (n < 0) throw new Error('strings: negative Repeat count');
    return s.repeat(n);
  }),
  substr: goFunc(['int', 'int', 'string'], substr),
  nospace: goFunc(['string'], (s: string) => [...s].filter((c) => !isGoSpace(c)).join('')),
  trunc: goFunc(['int', 'string'], trunc),
  abbrev: goFunc(['int', 'string'], (width: number, s: string) => {
    if (width < 4 || [...s].length <= width) return s;
    return [...s].slice(0, width - 3).join('') + '...';
  }),
  contains: goFunc(['string', 'string'], (sub: string, s: string) => s.includes(sub)),
  hasPrefix: goFunc(['string', 'string'], (p: string, s: string) => s.startsWith(p)),
  hasSuffix: goFunc(['string', 'string'], (p: string, s: string) => s.endsWith(p)),
  quote: goFunc([], (...args: unknown[]) => nonNil(args).map((a) => quoteGo(strval(a))).join(' '), 'any'),
  squote: goFunc([], (...args: unknown[]) => nonNil(args).map((a) => `'${strval(a)}'`).join(' '), 'any'),
  cat: goFunc([], (...args: unknown[]) => nonNil(args).map((a) => sprint([a])).join(' '), 'any'),
  // sprig's indent pads every line, the first included; nindent starts on a new line.
  indent: goFunc(['int', 'string'], (n: number, s: string) => {
    const pad = ' '.repeat(Math.max(n, 0));
    return pad + s.split('\n').join('\n' + pad);
  }),
  nindent: goFunc(['int', 'string'], (n: number, s: string) => {
    const pad = ' '.repeat(Math.max(n, 0));
    return '\n' + pad + s.split('\n').join('\n' + pad);
  }),
  replace: goFunc(['string', 'string', 'string'], (oldS: string, newS: string, src: string) => {
    if (oldS === '') return [...src].reduce((acc, c) => acc + c + newS, newS);
    return src.split(oldS).join(newS);
  }),
  plural: goFunc(['string', 'string', 'int'], (one: string, many: string, n: number) => (n === 1 ? one : many)),
  toString: goFunc(['any'], strval),
  toStrings: goFunc(['any'], (v: unknown) => (Array.isArray(v) ? v.map((e) => strval(e)) : strslice(v))),
  split: goFunc(['string', 'string'], (sep: string, s: string) => toMap(goSplit(s, sep))),
  splitList: goFunc(['string', 'string'], (sep: string, s: string) => goSplit(s, sep)),
  splitn: goFunc(['string', 'int', 'string'], (sep: string, n: number, s: string) => toMap(goSplit(s, sep, n))),
  join: goFunc(['string', 'any'], (sep: string, v: unknown) => strslice(v).join(sep)),
  sortAlpha: goFunc(['any'], (v: unknown) => {
    if (!Array.isArray(v)) return [strval(v)];
    return strslice(v).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }),
  atoi: goFunc(['string'], (s: string) => (/^[+-]?\d+$/.test(s) ? Number(s) : 0)),
  sha256sum: goFunc(['string'], (s: string) => createHash('sha256').update(s, 'utf8').digest('hex')),
  sha1sum: goFunc(['string'], (s: string) => createHash('sha1').update(s, 'utf8').digest('hex')),
  adler32sum: goFunc(['string'], (s: string) => String(adler32(s))),
};
