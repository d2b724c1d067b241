// Splits template text into tokens. Trim markers are applied here, as in Go: "{{- " removes
// the white space before the action and " -}}" the white space after it, newlines included.

export type TokenType =
  | 'error'
  | 'bool'
  | 'char' // a printable ASCII character inside an action, e.g. ','
  | 'charConstant'
  | 'assign' // =
  | 'declare' // :=
  | 'eof'
  | 'field' // .Name
  | 'identifier'
  | 'leftDelim'
  | 'leftParen'
  | 'number'
  | 'pipe'
  | 'rawString'
  | 'rightDelim'
  | 'rightParen'
  | 'space'
  | 'string'
  | 'text'
  | 'variable' // $name
  | 'comment'
  // keywords
  | 'block'
  | 'break'
  | 'continue'
  | 'dot'
  | 'define'
  | 'else'
  | 'end'
  | 'if'
  | 'nil'
  | 'range'
  | 'template'
  | 'with';

export interface Token {
  type: TokenType;
  val: string;
  pos: number;
  line: number;
}

const keywords: ReadonlyMap<string, TokenType> = new Map<string, TokenType>([
  ['.', 'dot'],
  ['block', 'block'],
  ['break', 'break'],
  ['continue', 'continue'],
  ['define', 'define'],
  ['else', 'else'],
  ['end', 'end'],
  ['if', 'if'],
  ['range', 'range'],
  ['nil', 'nil'],
  ['template', 'template'],
  ['with', 'with'],
]);

const isKeyword = (t: TokenType): boolean =>
  ['block', 'break', 'continue', 'dot', 'define', 'else', 'end', 'if', 'nil', 'range', 'template', 'with'].includes(t);

/** How Go prints a token inside "unexpected X in Y". */
export function tokenString(t: Token): string {
  if (t.type === 'eof') return 'EOF';
  if (t.type === 'error') return t.val;
  if (isKeyword(t.type)) return `<${t.val}>`;
  if (t.val.length > 10) return `${goQuote(t.val.slice(0, 10))}...`;
  return goQuote(t.val);
}

function goQuote(s: string): string {
  return JSON.stringify(s);
}

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlphaNumeric = (c: string): boolean => c === '_' || /[\p{L}\p{Nd}]/u.test(c);
const isDigit = (c: string): boolean => c >= '0' && c <= '9';

const leftComment = '/*';
const rightComment = '*/';
const trimMarkerLen = 2; // "- " or " -"

export interface LexOptions {
  leftDelim?: string;
  rightDelim?: string;
}

/** Tokenizes the whole text eagerly; the last token is 'eof' or 'error'. */
export function lex(input: string, options: LexOptions = {}): Token[] {
  return new Lexer(input, options.leftDelim || '{{', options.rightDelim || '}}').run();
}

class Lexer {
  private pos = 0;
  private start = 0;
  private line = 1;
  private startLine = 1;
  private parenDepth = 0;
  private insideAction = false;
  private readonly tokens: Token[] = [];
  private done = false;

  constructor(
    private readonly input: string,
    private readonly leftDelim: string,
    private readonly rightDelim: string,
  ) {}

  run(): Token[] {
    while (!this.done) {
      if (this.insideAction) this.lexInsideAction();
      else this.lexText();
    }
    return this.tokens;
  }

  private emit(type: TokenType): void {
    this.tokens.push({ type, val: this.input.slice(this.start, this.pos), pos: this.start, line: this.startLine });
    this.ignore();
  }

  private ignore(): void {
    this.line += countNewlines(this.input, this.start, this.pos);
    this.start = this.pos;
    this.startLine = this.line;
  }

  private error(message: string): void {
    this.tokens.push({ type: 'error', val: message, pos: this.start, line: this.startLine });
    this.done = true;
  }

  private peekChar(offset = 0): string {
    return this.input[this.pos + offset] ?? '';
  }

  private hasLeftTrimMarker(at: number): boolean {
    return this.input[at] === '-' && isSpace(this.input[at + 1] ?? '');
  }

  private hasRightTrimMarker(at: number): boolean {
    return isSpace(this.input[at] ?? '') && this.input[at + 1] === '-';
  }

  /** Is the input at pos a right delimiter, possibly preceded by a trim marker? */
  private atRightDelim(): { delim: boolean; trim: boolean } {
    if (this.hasRightTrimMarker(this.pos) && this.input.startsWith(this.rightDelim, this.pos + trimMarkerLen)) {
      return { delim: true, trim: true };
    }
    if (this.input.startsWith(this.rightDelim, this.pos)) return { delim: true, trim: false };
    return { delim: false, trim: false };
  }

  private lexText(): void {
    const x = this.input.indexOf(this.leftDelim, this.pos);
    if (x < 0) {
      this.pos = this.input.length;
      if (this.pos > this.start) this.emit('text');
      this.emit('eof');
      this.done = true;
      return;
    }
    this.pos = x;
    const trim = this.hasLeftTrimMarker(x + this.leftDelim.length);
    let end = x;
    if (trim) {
      while (end > this.start && isSpace(this.input[end - 1]!)) end--;
    }
    if (end > this.start) {
      this.tokens.push({ type: 'text', val: this.input.slice(this.start, end), pos: this.start, line: this.startLine });
    }
    this.ignore();
    this.lexLeftDelim(trim);
  }

  private lexLeftDelim(trim: boolean): void {
    this.pos += this.leftDelim.length;
    const afterMarker = trim ? trimMarkerLen : 0;
    if (this.input.startsWith(leftComment, this.pos + afterMarker)) {
      this.pos += afterMarker;
      this.ignore();
      this.lexComment();
      return;
    }
    this.emit('leftDelim');
    this.pos += afterMarker;
    this.ignore();
    this.parenDepth = 0;
    this.insideAction = true;
  }

  private lexComment(): void {
    this.pos += leftComment.length;
    const x = this.input.indexOf(rightComment, this.pos);
    if (x < 0) {
      this.error('unclosed comment');
      return;
    }
    this.pos = x + rightComment.length;
    const { delim, trim } = this.atRightDelim();
    if (!delim) {
      this.error('comment ends before closing delimiter');
      return;
    }
    // Comments are dropped (Go emits them only in a mode the executor never uses).
    this.ignore();
    this.pos += (trim ? trimMarkerLen : 0) + this.rightDelim.length;
    if (trim) this.skipSpaceAfterTrim();
    this.ignore();
  }

  private skipSpaceAfterTrim(): void {
    while (this.pos < this.input.length && isSpace(this.input[this.pos]!)) this.pos++;
  }

  private lexRightDelim(trim: boolean): void {
    if (trim) {
      this.pos += trimMarkerLen;
      this.ignore();
    }
    this.pos += this.rightDelim.length;
    this.emit('rightDelim');
    if (trim) {
      this.skipSpaceAfterTrim();
      this.ignore();
    }
    this.insideAction = false;
  }

  private lexInsideAction(): void {
    const { delim, trim } = this.atRightDelim();
    if (delim) {
      if (this.parenDepth === 0) {
        this.lexRightDelim(trim);
        return;
      }
      this.error('unclosed left paren');
      return;
    }
    const c = this.peekChar();
    if (c === '') {
      this.error('unclosed action');
      return;
    }
    if (isSpace(c)) {
      this.lexSpace();
      return;
    }
    this.pos++;
    switch (c) {
      case '=':
        this.emit('assign');
        return;
      case ':':
        if (this.peekChar() !== '=') {
          this.error('expected :=');
          return;
        }
        this.pos++;
        this.emit('declare');
        return;
      case '|':
        this.emit('pipe');
        return;
      case '"':
        this.lexQuote();
        return;
      case '`':
        this.lexRawQuote();
        return;
      case '$':
        this.lexVariable();
        return;
      case "'":
        this.lexChar();
        return;
      case '.':
        if (isDigit(this.peekChar())) {
          this.pos--;
          this.lexNumber();
          return;
        }
        this.lexField();
        return;
      case '(':
        this.emit('leftParen');
        this.parenDepth++;
        return;
      case ')':
        this.emit('rightParen');
        this.parenDepth--;
        if (this.parenDepth < 0) this.error('unexpected right paren');
        return;
    }
    if (c === '+' || c === '-' || isDigit(c)) {
      this.pos--;
      this.lexNumber();
      return;
    }
    if (isAlphaNumeric(c)) {
      this.pos--;
      this.lexIdentifier();
      return;
    }
    const code = c.codePointAt(0)!;
    if (code < 0x7f && code >= 0x20) {
      this.emit('char');
      return;
    }
    this.error(`bad character ${goRuneDescription(this.input.codePointAt(this.pos - 1)!)}`);
  }

  private lexSpace(): void {
    // Stop before " -}}": that space belongs to the trim marker.
    while (this.pos < this.input.length && isSpace(this.input[this.pos]!)) {
      if (this.hasRightTrimMarker(this.pos) && this.input.startsWith(this.rightDelim, this.pos + trimMarkerLen)) break;
      this.pos++;
    }
    if (this.pos > this.start) this.emit('space');
  }

  private lexIdentifier(): void {
    while (this.pos < this.input.length) {
      const ch = String.fromCodePoint(this.input.codePointAt(this.pos)!);
      if (!isAlphaNumeric(ch)) break;
      this.pos += ch.length;
    }
    if (!this.atTerminator()) {
      this.error(`bad character ${goRuneDescription(this.input.codePointAt(this.pos)!)}`);
      return;
    }
    const word = this.input.slice(this.start, this.pos);
    const kw = keywords.get(word);
    if (kw && word !== '.') this.emit(kw);
    else if (word === 'true' || word === 'false') this.emit('bool');
    else this.emit('identifier');
  }

  private lexField(): void {
    this.lexFieldOrVariable('field');
  }

  private lexVariable(): void {
    this.lexFieldOrVariable('variable');
  }

  private lexFieldOrVariable(type: 'field' | 'variable'): void {
    if (this.atTerminator()) {
      this.emit(type === 'variable' ? 'variable' : 'dot');
      return;
    }
    while (this.pos < this.input.length) {
      const ch = String.fromCodePoint(this.input.codePointAt(this.pos)!);
      if (!isAlphaNumeric(ch)) break;
      this.pos += ch.length;
    }
    if (!this.atTerminator()) {
      this.error(`bad character ${goRuneDescription(this.input.codePointAt(this.pos)!)}`);
      return;
    }
    this.emit(type);
  }

  /** Can the character at pos end a word? Go lists exactly these. */
  private atTerminator(): boolean {
    const c = this.peekChar();
    if (c === '' || isSpace(c)) return true;
    if ('.,|:()='.includes(c)) return true;
    return this.input.startsWith(this.rightDelim, this.pos);
  }

  private lexChar(): void {
    for (;;) {
      const c = this.peekChar();
      this.pos++;
      if (c === '\\') {
        if (this.peekChar() !== '' && this.peekChar() !== '\n') {
          this.pos++;
          continue;
        }
      }
      if (c === '' || c === '\n') {
        this.error('unterminated character constant');
        return;
      }
      if (c === "'") break;
    }
    this.emit('charConstant');
  }

  private lexQuote(): void {
    for (;;) {
      const c = this.peekChar();
      this.pos++;
      if (c === '\\') {
        if (this.peekChar() !== '' && this.peekChar() !== '\n') {
          this.pos++;
          continue;
        }
      }
      if (c === '' || c === '\n') {
        this.error('unterminated quoted string');
        return;
      }
      if (c === '"') break;
    }
    this.emit('string');
  }

  private lexRawQuote(): void {
    const end = this.input.indexOf('`', this.pos);
    if (end < 0) {
      this.error('unterminated raw quoted string');
      return;
    }
    this.pos = end + 1;
    this.emit('rawString');
  }

  private lexNumber(): void {
    // Go accepts the literal syntax of its own language: signs, 0x/0o/0b prefixes,
    // underscores, fractions, exponents and a trailing i for imaginary numbers.
    const m = /^[+-]?(?:0[xX][0-9a-fA-F_]*(?:\.[0-9a-fA-F_]*)?(?:[pP][+-]?[0-9_]+)?|0[oO][0-7_]*|0[bB][01_]*|[0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9_]+)?)i?/.exec(
      this.input.slice(this.pos),
    );
    const len = m ? m[0].length : 0;
    this.pos += len;
    if (len === 0 || isAlphaNumeric(this.peekChar())) {
      if (isAlphaNumeric(this.peekChar())) this.pos++;
      this.error(`bad number syntax: ${JSON.stringify(this.input.slice(this.start, this.pos))}`);
      return;
    }
    const text = this.input.slice(this.start, this.pos);
    if (text === '+' || text === '-') {
      this.error(`bad number syntax: ${JSON.stringify(text)}`);
      return;
    }
    this.emit('number');
  }
}

function countNewlines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (s.charCodeAt(i) === 10) n++;
  return n;
}

/** Go's %#U: U+0021 '!' */
export function goRuneDescription(cp: number): string {
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  const ch = String.fromCodePoint(cp);
  return /\p{C}/u.test(ch) ? `U+${hex}` : `U+${hex} '${ch}'`;
}
