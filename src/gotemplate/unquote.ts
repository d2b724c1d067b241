// Go's strconv.Unquote for the two literal forms templates allow: "interpreted strings"
// and 'c' character constants. Byte escapes (\x80, \377) above ASCII have no JS string
// equivalent; they become the code point of the same number.

const simpleEscapes: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
};

function unescapeBody(body: string, quote: '"' | "'"): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === quote) throw new SyntaxError('invalid syntax');
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    if (e === undefined) throw new SyntaxError('invalid syntax');
    if (e in simpleEscapes) {
      out += simpleEscapes[e];
    } else if (e === quote) {
      out += e;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) throw new SyntaxError('invalid syntax');
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) throw new SyntaxError('invalid syntax');
      out += String.fromCodePoint(cp);
      i += n;
    } else if (e >= '0' && e <= '7') {
      const oct = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct)) throw new SyntaxError('invalid syntax');
      const v = parseInt(oct, 8);
      if (v > 255) throw new SyntaxError('invalid syntax');
      out += String.fromCharCode(v);
      i += 2;
    } else {
      throw new SyntaxError('invalid syntax');
    }
  }
  return out;
}

export function unquoteGoString(lit: string): string {
  if (lit.length < 2 || !lit.startsWith('"') || !lit.endsWith('"')) throw new SyntaxError('invalid syntax');
  return unescapeBody(lit.slice(1, -1), '"');
}

/** Returns the code point of a character constant such as 'a' or '\n'. */
export function unquoteGoChar(lit: string): number {
  if (lit.length < 3 || !lit.startsWith("'") || !lit.endsWith("'")) throw new SyntaxError('invalid syntax');
  const s = unescapeBody(lit.slice(1, -1), "'");
  const cp = s.codePointAt(0);
  if (cp === undefined || String.fromCodePoint(cp).length !== s.length) throw new SyntaxError('invalid syntax');
  return cp;
}
