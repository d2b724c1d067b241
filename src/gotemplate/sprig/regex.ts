// sprig's regex functions over Go's RE2 syntax. Patterns are translated to JavaScript
// RegExp (named groups, leading flag groups, \A \z, \Q..\E, POSIX classes); matching loops
// follow Go's rules for "All" (an empty match right after a match is skipped), and
// replacement templates expand $1, ${1}, $name the way Go's Expand does.
import { FuncError } from '../errors.js';
import { goFunc, type FuncMap } from '../funcs.js';
import { quoteGo } from '../printf.js';

const posixClasses: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

interface Compiled {
  re: RegExp;
}

const cache = new Map<string, Compiled>();

function goQuoteForMessage(s: string): string {
  return /^[^`\x00-\x08\x0a-\x1f\x7f]*$/.test(s) ? '`' + s + '`' : quoteGo(s);
}

/** Translates a Go regexp to a JS RegExp with the 'g' flag (and 'd' for indices). */
export function compileGoRegexp(pattern: string): RegExp {
  const hit = cache.get(pattern);
  if (hit) return new RegExp(hit.re.source, hit.re.flags);
  let flags = 'g';
  let src = pattern;
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    if (lead[1]!.includes('U')) throw compileError(pattern, 'ungreedy flag (?U) is not supported');
    for (const f of new Set(lead[1]!)) flags += f;
    src = src.slice(lead[0].length);
  }
  let out = '';
  let inClass = false;
  let unicode = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      const n = src[i + 1];
      if (n === 'Q') {
        const end = src.indexOf('\\E', i + 2);
        const lit = end < 0 ? src.slice(i + 2) : src.slice(i + 2, end);
        out += lit.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
        i = end < 0 ? src.length : end + 1;
        continue;
      }
      if (n === 'A' && !inClass) {
        out += '(?<![\\s\\S])';
        i++;
        continue;
      }
      if (n === 'z' && !inClass) {
        out += '(?![\\s\\S])';
        i++;
        continue;
      }
      if (n === 'p' || n === 'P') {
        unicode = true;
        if (src[i + 2] !== '{') {
          out += `\\${n}{${src[i + 2] ?? ''}}`;
          i += 2;
          continue;
        }
      }
      out += c + (n ?? '');
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[' && src[i + 1] === ':') {
        const end = src.indexOf(':]', i + 2);
        const name = end < 0 ? '' : src.slice(i + 2, end);
        if (name in posixClasses) {
          out += posixClasses[name];
          i = end + 1;
          continue;
        }
      }
      if (c === ']') inClass = false;
      out += c === '[' ? '\\[' : c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A leading ']' (or '^]') is a literal in Go's classes.
      if (src[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (src[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && src.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
      continue;
    }
    if (c === '(' && /^\(\?[imsU-]+[:)]/.test(src.slice(i))) {
      throw compileError(pattern, 'flag groups are only supported at the start of the pattern');
    }
    out += c;
  }
  if (unicode) flags += 'u';
  try {
    const re = new RegExp(out, flags + 'd');
    cache.set(pattern, { re });
    return new RegExp(re.source, re.flags);
  } catch (e) {
    throw compileError(pattern, (e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, ''));
  }
}

function compileError(pattern: string, reason: string): FuncError {
  return new FuncError(`regexp: Compile(${goQuoteForMessage(pattern)}): error parsing regexp: ${reason}`);
}

/** Go's FindAll iteration: up to n matches (n < 0: all), skipping empty matches that abut the previous one. */
function findAll(re: RegExp, s: string, n: number): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  if (n === 0) return out;
  let prevEnd = -1;
  re.lastIndex = 0;
  while (n < 0 || out.length < n) {
    const m = re.exec(s);
    if (!m) break;
    const end = m.index + m[0].length;
    if (m[0].length === 0) {
      // Advance by one code point so the next search can make progress.
      const cp = s.codePointAt(m.index);
      re.lastIndex = m.index + (cp !== undefined && cp > 0xffff ? 2 : 1);
      if (m.index === prevEnd) continue;
    }
    out.push(m);
    prevEnd = end;
    if (m.index >= s.length && m[0].length === 0) break;
  }
  return out;
}

/** regexp.Expand for ReplaceAllString: $1, ${1}, $name, ${name}; $$ is a dollar. */
function expand(template: string, m: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '$') {
      out += c;
      continue;
    }
    if (template[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string | undefined;
    let next = i + 1;
    if (template[i + 1] === '{') {
      const close = template.indexOf('}', i + 2);
      const inner = close < 0 ? '' : template.slice(i + 2, close);
      if (close >= 0 && /^[A-Za-z0-9_]+$/.test(inner)) {
        name = inner;
        next = close + 1;
      }
    } else {
      const word = /^[A-Za-z0-9_]+/.exec(template.slice(i + 1));
      if (word) {
        name = word[0];
        next = i + 1 + word[0].length;
      }
    }
    if (name === undefined) {
      out += '$'; // Malformed: Go keeps the dollar as text.
      continue;
    }
    if (/^\d+$/.test(name)) out += m[Number(name)] ?? '';
    else out += m.groups?.[name] ?? '';
    i = next - 1;
  }
  return out;
}

function replaceAll(re: RegExp, s: string, repl: (m: RegExpExecArray) => string): string {
  let out = '';
  let last = 0;
  for (const m of findAll(re, s, -1)) {
    out += s.slice(last, m.index) + repl(m);
    last = m.index + m[0].length;
  }
  return out + s.slice(last);
}

function split(re: RegExp, s: string, n: number): string[] {
  if (n === 0) return [];
  const pattern = re.source;
  if (pattern.length > 0 && s === '') return [''];
  const matches = findAll(re, s, n);
  const out: string[] = [];
  let beg = 0;
  for (const m of matches) {
    if (n > 0 && out.length === n - 1) break;
    const end = m.index;
    if (m[0].length === 0 && m.index === 0) continue;
    out.push(s.slice(beg, end));
    beg = m.index + m[0].length;
  }
  out.push(s.slice(beg));
  return out;
}

const must = (pattern: string): RegExp => compileGoRegexp(pattern);

export const regexFuncs: FuncMap = {
  regexMatch: goFunc(['string', 'string'], (pattern: string, s: string) => {
    try {
      return must(pattern).test(s);
    } catch {
      return false;
    }
  }),
  mustRegexMatch: goFunc(['string', 'string'], (pattern: string, s: string) => must(pattern).test(s)),
  regexFind: goFunc(['string', 'string'], (pattern: string, s: string) => findAll(must(pattern), s, 1)[0]?.[0] ?? ''),
  regexFindAll: goFunc(['string', 'string', 'int'], (pattern: string, s: string, n: number) =>
    findAll(must(pattern), s, n).map((m) => m[0]),
  ),
  regexReplaceAll: goFunc(['string', 'string', 'string'], (pattern: string, s: string, repl: string) =>
    replaceAll(must(pattern), s, (m) => expand(repl, m)),
  ),
  regexReplaceAllLiteral: goFunc(['string', 'string', 'string'], (pattern: string, s: string, repl: string) =>
    replaceAll(must(pattern), s, () => repl),
  ),
  regexSplit: goFunc(['string', 'string', 'int'], (pattern: string, s: string, n: number) => split(must(pattern), s, n)),
  regexQuoteMeta: goFunc(['string'], (s: string) => s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&')),
};
