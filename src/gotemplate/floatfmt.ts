// Go's strconv float formatting ('e', 'f', 'g' with a precision or shortest), built on the
// exact decimal value of the double so that rounding matches Go (half to even on exact ties,
// where JavaScript's toFixed rounds half up).

interface Digits {
  /** Significant decimal digits without leading zeros; '' for zero. */
  d: string;
  /** Position of the decimal point relative to the start of d. */
  dp: number;
}

/** The exact decimal expansion of a finite, non-negative double. */
function exactDigits(x: number): Digits {
  if (x === 0) return { d: '', dp: 0 };
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const bits = buf.getBigUint64(0);
  const expBits = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & 0xfffffffffffffn;
  let exp: number;
  if (expBits === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = expBits - 1075;
  }
  let digits: string;
  let dp: number;
  if (exp >= 0) {
    digits = (mant << BigInt(exp)).toString();
    dp = digits.length;
  } else {
    // mant / 2^-exp = mant * 5^-exp / 10^-exp
    digits = (mant * 5n ** BigInt(-exp)).toString();
    dp = digits.length - -exp;
  }
  return trim({ d: digits, dp });
}

function trim(x: Digits): Digits {
  let d = x.d;
  let dp = x.dp;
  let lead = 0;
  while (lead < d.length && d[lead] === '0') lead++;
  d = d.slice(lead);
  dp -= lead;
  d = d.replace(/0+$/, '');
  if (d === '') dp = 0;
  return { d, dp };
}

/** Rounds to nd significant digits, ties to even as strconv does. */
function roundDigits(x: Digits, nd: number): Digits {
  if (nd < 0 || nd >= x.d.length) return x;
  const next = x.d.charCodeAt(nd) - 48;
  let up: boolean;
  if (next === 5 && nd + 1 === x.d.length) up = nd > 0 && (x.d.charCodeAt(nd - 1) - 48) % 2 === 1;
  else up = next >= 5;
  if (!up) return trim({ d: x.d.slice(0, nd), dp: x.dp });
  // Increment the kept prefix.
  const kept = x.d.slice(0, nd).split('').map(Number);
  let i = kept.length - 1;
  while (i >= 0 && kept[i] === 9) {
    kept[i] = 0;
    i--;
  }
  if (i < 0) return trim({ d: '1', dp: x.dp + 1 });
  kept[i]!++;
  return trim({ d: kept.join(''), dp: x.dp });
}

function shortestDigits(x: number): Digits {
  if (x === 0) return { d: '', dp: 0 };
  const [mant, e] = x.toExponential().split('e') as [string, string];
  const d = mant.replace('.', '');
  return trim({ d, dp: Number(e) + 1 });
}

function fmtE(x: Digits, prec: number, letter: string): string {
  let s = x.d.length > 0 ? x.d[0]! : '0';
  if (prec > 0) {
    s += '.';
    const frac = x.d.slice(1, 1 + prec);
    s += frac + '0'.repeat(prec - frac.length);
  }
  const exp = x.d.length === 0 ? 0 : x.dp - 1;
  const abs = Math.abs(exp);
  return s + letter + (exp < 0 ? '-' : '+') + (abs < 10 ? '0' + abs : String(abs));
}

function fmtF(x: Digits, prec: number): string {
  let s: string;
  if (x.dp > 0) {
    const intPart = x.d.slice(0, x.dp);
    s = intPart + '0'.repeat(x.dp - intPart.length);
  } else s = '0';
  if (prec > 0) {
    s += '.';
    for (let i = 1; i <= prec; i++) {
      const j = x.dp + i - 1;
      s += j >= 0 && j < x.d.length ? x.d[j] : '0';
    }
  }
  return s;
}

/**
 * strconv.FormatFloat(x, verb, prec, 64) for verbs e E f F g G; prec -1 means shortest.
 * Returns the text with a leading '-' for negatives, like Go.
 */
export function formatFloat(x: number, verb: 'e' | 'E' | 'f' | 'F' | 'g' | 'G', prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  const abs = Math.abs(x);
  const shortest = prec < 0;
  let digs: Digits;
  let p = prec;
  if (shortest) {
    digs = shortestDigits(abs);
  } else {
    const exact = exactDigits(abs);
    switch (verb) {
      case 'e':
      case 'E':
        digs = roundDigits(exact, p + 1);
        break;
      case 'f':
      case 'F':
        digs = roundDigits(exact, exact.dp + p);
        break;
      default:
        if (p === 0) p = 1;
        digs = roundDigits(exact, p);
    }
  }
  let body: string;
  switch (verb) {
    case 'e':
    case 'E':
      body = fmtE(digs, shortest ? Math.max(digs.d.length - 1, 0) : p, verb);
      break;
    case 'f':
    case 'F':
      body = fmtF(digs, shortest ? Math.max(digs.d.length - digs.dp, 0) : p);
      break;
    default: {
      const nd = digs.d.length;
      if (shortest) p = nd;
      let eprec = p;
      if (eprec > nd && nd >= digs.dp) eprec = nd;
      // Shortest output switches to exponent form from 1e+06 on, as %v users see it.
      if (shortest) eprec = 6;
      const exp = digs.dp - 1;
      if (nd > 0 && (exp < -4 || exp >= eprec)) {
        if (p > nd) p = nd;
        body = fmtE(digs, Math.max(p - 1, 0), verb === 'g' ? 'e' : 'E');
      } else {
        if (p > digs.dp) p = nd;
        body = fmtF(digs, Math.max(p - digs.dp, 0));
      }
    }
  }
  return (neg ? '-' : '') + body;
}

/** %#g: like %g but trailing zeros are kept to the precision (default 6) and a point is always shown. */
export function formatFloatSharpG(x: number, upper: boolean, prec: number): string {
  if (!Number.isFinite(x)) return formatFloat(x, upper ? 'G' : 'g', prec);
  const p = prec < 0 ? 6 : prec === 0 ? 1 : prec;
  const neg = x < 0 || Object.is(x, -0);
  const digs = roundDigits(exactDigits(Math.abs(x)), p);
  const exp = digs.d.length === 0 ? 0 : digs.dp - 1;
  let body: string;
  if (exp < -4 || exp >= p) body = fmtE(digs, p - 1, upper ? 'E' : 'e');
  else body = fmtF(digs, Math.max(p - 1 - exp, 0));
  if (!body.includes('.')) body = body.replace(/(e|E|$)/, '.$1');
  return (neg ? '-' : '') + body;
}
