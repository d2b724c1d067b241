// Go's fmt: Sprint, Sprintln and Sprintf over the value model of values.ts, including the
// in-band error notations (%!d(string=x), %!v(MISSING), %!(EXTRA ...)) users see in output.
import { formatFloat, formatFloatSharpG } from './floatfmt.js';
import { goTypeName, isPlainObject, kindOf, sortedEntries } from './values.js';

interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  wid: number;
  widPresent: boolean;
  prec: number;
  precPresent: boolean;
  /** %+v and %#v switch the meaning of + and #. */
  plusV: boolean;
  sharpV: boolean;
}

const noFlags = (): Flags => ({
  plus: false,
  minus: false,
  sharp: false,
  space: false,
  zero: false,
  wid: 0,
  widPresent: false,
  prec: 0,
  precPresent: false,
  plusV: false,
  sharpV: false,
});

const isStringArg = (v: unknown): boolean => typeof v === 'string';

/** fmt.Sprint: operands separated by a space when neither side is a string. */
export function sprint(args: readonly unknown[]): string {
  let out = '';
  args.forEach((arg, i) => {
    if (i > 0 && !isStringArg(arg) && !isStringArg(args[i - 1])) out += ' ';
    out += formatArg(arg, 'v', noFlags());
  });
  return out;
}

/** fmt.Sprintln: always a space between operands, and a final newline. */
export function sprintln(args: readonly unknown[]): string {
  return args.map((a) => formatArg(a, 'v', noFlags())).join(' ') + '\n';
}

/** The %v rendering of one value. */
export function formatValue(v: unknown): string {
  return formatArg(v, 'v', noFlags());
}

export function sprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let argNum = 0;
  let reordered = false;
  let i = 0;
  const end = format.length;
  while (i < end) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const f = noFlags();
    // Flags.
    flags: while (i < end) {
      switch (format[i]) {
        case '#':
          f.sharp = true;
          break;
        case '0':
          f.zero = !f.minus;
          break;
        case '+':
          f.plus = true;
          break;
        case '-':
          f.minus = true;
          f.zero = false;
          break;
        case ' ':
          f.space = true;
          break;
        default:
          break flags;
      }
      i++;
    }
    let goodArgNum = true;
    const argIndex = (): void => {
      if (format[i] !== '[') return;
      reordered = true;
      const close = format.indexOf(']', i);
      const n = close < 0 ? NaN : Number(format.slice(i + 1, close));
      if (close < 0 || !/^\d+$/.test(format.slice(i + 1, close)) || n < 1 || n > args.length) {
        goodArgNum = false;
        i = close < 0 ? end : close + 1;
        return;
      }
      argNum = n - 1;
      i = close + 1;
    };
    // Width: a number or '*'.
    argIndex();
    if (format[i] === '*') {
      i++;
      const w = args[argNum];
      argNum++;
      if (typeof w === 'number' && Number.isInteger(w)) {
        f.wid = w;
        f.widPresent = true;
        if (w < 0) {
          f.minus = true;
          f.zero = false;
          f.wid = -w;
        }
      } else out += '%!(BADWIDTH)';
    } else {
      const m = /^\d+/.exec(format.slice(i));
      if (m) {
        f.wid = Number(m[0]);
        f.widPresent = true;
        i += m[0].length;
      }
    }
    // Precision.
    if (format[i] === '.') {
      i++;
      argIndex();
      if (format[i] === '*') {
        i++;
        const p = args[argNum];
        argNum++;
        if (typeof p === 'number' && Number.isInteger(p) && p >= 0) {
          f.prec = p;
          f.precPresent = true;
        } else out += '%!(BADPREC)';
      } else {
        const m = /^\d+/.exec(format.slice(i));
        f.prec = m ? Number(m[0]) : 0;
        f.precPresent = true;
        if (m) i += m[0].length;
      }
    }
    argIndex();
    if (i >= end) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (!goodArgNum) {
      out += `%!${verb}(BADINDEX)`;
      continue;
    }
    if (argNum >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    if (verb === 'v') {
      if (f.sharp) {
        f.sharp = false;
        f.sharpV = true;
      }
      if (f.plus) {
        f.plus = false;
        f.plusV = true;
      }
    }
    out += formatArg(args[argNum], verb, f);
    argNum++;
  }
  if (!reordered && argNum < args.length) {
    const extra = args.slice(argNum).map((a) => (a == null ? '<nil>' : `${goTypeName(a)}=${formatArg(a, 'v', noFlags())}`));
    out += `%!(EXTRA ${extra.join(', ')})`;
  }
  return out;
}

// ---- one operand ------------------------------------------------------------------------

function pad(s: string, f: Flags, zeroAllowed = false): string {
  if (!f.widPresent) return s;
  const n = [...s].length;
  if (n >= f.wid) return s;
  const fill = f.wid - n;
  if (f.minus) return s + ' '.repeat(fill);
  return (zeroAllowed && f.zero ? '0' : ' ').repeat(fill) + s;
}

function badVerb(v: unknown, verb: string, f: Flags): string {
  if (v == null) return `%!${verb}(<nil>)`;
  return `%!${verb}(${goTypeName(v)}=${formatArg(v, 'v', { ...f, sharp: false, plus: false })})`;
}

function formatArg(v: unknown, verb: string, f: Flags, depth = 0): string {
  if (verb === 'T') return pad(goTypeName(v), f);
  if (v === undefined || v === null) {
    if (depth > 0) return pad('<nil>', f);
    if (verb === 'v') return pad(f.sharpV ? 'interface {}(nil)' : '<nil>', f);
    return badVerb(v, verb, f);
  }
  // Go consults Error() and String() methods for the verbs that print text.
  if ('vsqxX'.includes(verb) && !f.sharpV && typeof v === 'object') {
    const text = methodText(v);
    if (text !== undefined) return formatString(text, verb, f);
  }
  switch (kindOf(v)) {
    case 'bool':
      return verb === 't' || verb === 'v' ? pad(String(v), f) : badVerb(v, verb, f);
    case 'int':
      return formatInt(typeof v === 'bigint' ? v : BigInt(v as number), verb, f, v);
    case 'float':
      return formatFloatVerb(v as number, verb, f);
    case 'string':
      return formatString(v as string, verb, f);
    case 'slice': {
      if (f.sharpV) return `${goTypeName(v)}{${Array.from(v as ArrayLike<unknown>, (e) => formatArg(e, verb, f, depth + 1)).join(', ')}}`;
      return '[' + Array.from(v as ArrayLike<unknown>, (e) => formatArg(e, verb, f, depth + 1)).join(' ') + ']';
    }
    case 'map': {
      const entries = sortedEntries(v as Record<string, unknown>);
      if (f.sharpV) {
        return `${goTypeName(v)}{${entries.map(([k, e]) => `${formatArg(k, verb, f, depth + 1)}:${formatArg(e, verb, f, depth + 1)}`).join(', ')}}`;
      }
      return 'map[' + entries.map(([k, e]) => `${formatArg(k, verb, f, depth + 1)}:${formatArg(e, verb, f, depth + 1)}`).join(' ') + ']';
    }
    case 'func':
      return verb === 'v' || verb === 'p' ? pad('0x0', f) : badVerb(v, verb, f);
    default: {
      // A struct: its fields in declaration order, named under %+v.
      const obj = v as Record<string, unknown>;
      const fields = Object.keys(obj).filter((k) => typeof obj[k] !== 'function');
      const parts = fields.map((k) => (f.plusV || f.sharpV ? `${k}:` : '') + formatArg(obj[k], verb, f, depth + 1));
      return '{' + parts.join(f.sharpV ? ', ' : ' ') + '}';
    }
  }
}

/** Error() for errors, String() for Stringers; undefined when neither applies. */
function methodText(v: object): string | undefined {
  if (v instanceof Error) return v.message;
  const s = (v as { String?: unknown }).String;
  if (typeof s === 'function') return String(s.call(v));
  if (!isPlainObject(v) && !Array.isArray(v) && !(v instanceof Map) && !(v instanceof Uint8Array)) {
    const ts = (v as { toString?: unknown }).toString;
    if (typeof ts === 'function' && ts !== Object.prototype.toString) return String(ts.call(v));
  }
  return undefined;
}

function formatInt(n: bigint, verb: string, f: Flags, original: unknown): string {
  switch (verb) {
    case 'v':
    case 'd':
      return fmtInteger(n, 10, verb, f, false);
    case 'b':
      return fmtInteger(n, 2, verb, f, false);
    case 'o':
    case 'O':
      return fmtInteger(n, 8, verb, f, false);
    case 'x':
      return fmtInteger(n, 16, verb, f, false);
    case 'X':
      return fmtInteger(n, 16, verb, f, true);
    case 'c':
      return pad(runeString(n), f);
    case 'q':
      return pad(quoteRune(n, f.plus), f);
    case 'U': {
      let s = 'U+' + (n < 0n ? (-n).toString(16) : n.toString(16)).toUpperCase().padStart(4, '0');
      if (f.sharp && n >= 0n && n <= 0x10ffffn && isPrint(Number(n))) s += ` '${String.fromCodePoint(Number(n))}'`;
      return pad(s, f);
    }
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G':
      // In Go a number from JSON/YAML is a float64, so `printf "%.2f" .Values.x` works for 1
      // as well as for 1.5; an integral JS number must keep working the same way.
      return formatFloatVerb(Number(n), verb, f);
    default:
      return badVerb(original, verb, f);
  }
}

function fmtInteger(n: bigint, base: number, verb: string, f: Flags, upper: boolean): string {
  const negative = n < 0n;
  const u = negative ? -n : n;
  let prec = 0;
  if (f.precPresent) {
    prec = f.prec;
    if (prec === 0 && u === 0n) return pad('', { ...f, zero: false });
  } else if (f.zero && !f.minus && f.widPresent) {
    prec = f.wid;
    if (negative || f.plus || f.space) prec--;
  }
  let digits = u.toString(base);
  if (upper) digits = digits.toUpperCase();
  if (digits.length < prec) digits = '0'.repeat(prec - digits.length) + digits;
  if (f.sharp) {
    if (base === 2) digits = '0b' + digits;
    else if (base === 8 && verb !== 'O' && digits[0] !== '0') digits = '0' + digits;
    else if (base === 16) digits = (upper ? '0X' : '0x') + digits;
  }
  if (verb === 'O') digits = '0o' + digits;
  if (negative) digits = '-' + digits;
  else if (f.plus) digits = '+' + digits;
  else if (f.space) digits = ' ' + digits;
  return pad(digits, { ...f, zero: false });
}

function formatFloatVerb(x: number, verb: string, f: Flags): string {
  let text: string;
  switch (verb) {
    case 'v':
      text = f.sharp ? formatFloatSharpG(x, false, f.precPresent ? f.prec : -1) : formatFloat(x, 'g', f.precPresent ? f.prec : -1);
      break;
    case 'g':
    case 'G':
      text = f.sharp ? formatFloatSharpG(x, verb === 'G', f.precPresent ? f.prec : -1) : formatFloat(x, verb, f.precPresent ? f.prec : -1);
      break;
    case 'e':
    case 'E':
    case 'f':
    case 'F':
      text = formatFloat(x, verb, f.precPresent ? f.prec : 6);
      if (f.sharp && !text.includes('.') && Number.isFinite(x)) text = text.replace(/(e|E|$)/, '.$1');
      break;
    default:
      return badVerb(x, verb, f);
  }
  let sign = '';
  if (text.startsWith('-') || text.startsWith('+')) {
    sign = text[0]!;
    text = text.slice(1);
  }
  if (text === 'Inf' || text === 'NaN') {
    // Go keeps the sign of +Inf; NaN gets one only when asked for.
    if (text === 'NaN') sign = f.plus ? '+' : f.space ? ' ' : '';
    else if (sign === '+' && f.space && !f.plus) sign = ' ';
    return pad(sign + text, { ...f, zero: false });
  }
  if (sign === '' && f.plus) sign = '+';
  else if (sign === '' && f.space) sign = ' ';
  if (f.zero && !f.minus && f.widPresent && f.wid > sign.length + text.length) {
    return sign + '0'.repeat(f.wid - sign.length - text.length) + text;
  }
  return pad(sign + text, f);
}

function formatString(s: string, verb: string, f: Flags): string {
  switch (verb) {
    case 'v':
      if (f.sharpV) return pad(quoteGo(s, false), f);
      return pad(truncate(s, f), f);
    case 's':
      return pad(truncate(s, f), f);
    case 'q': {
      const t = truncate(s, f);
      if (f.sharp && canBackquote(t)) return pad('`' + t + '`', f);
      return pad(quoteGo(t, f.plus), f);
    }
    case 'x':
    case 'X': {
      let bytes = Buffer.from(s, 'utf8');
      if (f.precPresent && f.prec < bytes.length) bytes = bytes.subarray(0, f.prec);
      const hex = [...bytes].map((b) => {
        const h = b.toString(16).padStart(2, '0');
        return verb === 'X' ? h.toUpperCase() : h;
      });
      const prefix = f.sharp ? (verb === 'X' ? '0X' : '0x') : '';
      if (f.space) return pad(hex.map((h) => prefix + h).join(' '), f);
      return pad(hex.length > 0 ? prefix + hex.join('') : '', f);
    }
    default:
      return badVerb(s, verb, f);
  }
}

function truncate(s: string, f: Flags): string {
  if (!f.precPresent) return s;
  const runes = [...s];
  return runes.length > f.prec ? runes.slice(0, f.prec).join('') : s;
}

/** unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
export function isPrint(cp: number): boolean {
  if (cp === 0x20) return true;
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(String.fromCodePoint(cp));
}

function escapeRune(cp: number, quote: string, asciiOnly: boolean): string {
  const ch = String.fromCodePoint(cp);
  if (ch === quote || ch === '\\') return '\\' + ch;
  if (asciiOnly ? cp < 0x7f && isPrint(cp) : isPrint(cp)) return ch;
  switch (cp) {
    case 7:
      return '\\a';
    case 8:
      return '\\b';
    case 12:
      return '\\f';
    case 10:
      return '\\n';
    case 13:
      return '\\r';
    case 9:
      return '\\t';
    case 11:
      return '\\v';
  }
  if (cp < 0x20 || cp === 0x7f) return '\\x' + cp.toString(16).padStart(2, '0');
  if (cp < 0x10000) return '\\u' + cp.toString(16).padStart(4, '0');
  return '\\U' + cp.toString(16).padStart(8, '0');
}

/** strconv.Quote (asciiOnly: QuoteToASCII). */
export function quoteGo(s: string, asciiOnly = false): string {
  let out = '"';
  for (const ch of s) out += escapeRune(ch.codePointAt(0)!, '"', asciiOnly);
  return out + '"';
}

function quoteRune(n: bigint, asciiOnly: boolean): string {
  const cp = n < 0n || n > 0x10ffffn || (n >= 0xd800n && n < 0xe000n) ? 0xfffd : Number(n);
  return "'" + escapeRune(cp, "'", asciiOnly) + "'";
}

function runeString(n: bigint): string {
  const cp = n < 0n || n > 0x10ffffn || (n >= 0xd800n && n < 0xe000n) ? 0xfffd : Number(n);
  return String.fromCodePoint(cp);
}

function canBackquote(s: string): boolean {
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '`' || cp === 0xfeff) return false;
    if (cp < 0x20 && ch !== '\t') return false;
    if (cp === 0x7f) return false;
  }
  return true;
}
