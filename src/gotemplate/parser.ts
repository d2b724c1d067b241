// Turns tokens into trees, one per template name ({{define}} and {{block}} add more), and
// checks at parse time what Go checks then: functions exist, variables are declared,
// {{break}} sits in a {{range}}.
import type {
  ArgNode,
  BranchFields,
  CommandNode,
  ListNode,
  Node,
  NumberNode,
  PipeNode,
  Source,
  TemplateNode,
  VariableNode,
} from './ast.js';
import { nodeString } from './ast.js';
import { TemplateError } from './errors.js';
import { lex, tokenString, type Token, type TokenType } from './lexer.js';
import { unquoteGoString, unquoteGoChar } from './unquote.js';

export interface Tree {
  readonly name: string;
  readonly root: ListNode;
  readonly source: Source;
}

export interface ParseOptions {
  leftDelim?: string;
  rightDelim?: string;
  /** Names callable as functions; used for Go's "function %q not defined" check. */
  hasFunction: (name: string) => boolean;
}

/** Parses `text` as template `name`; returns every tree found (the main one first). */
export function parse(name: string, text: string, options: ParseOptions): Map<string, Tree> {
  const source: Source = { parseName: name, text };
  const tokens = lex(text, options);
  const trees = new Map<string, Tree>();
  const parser = new Parser(source, tokens, options, trees);
  const root = parser.parseTop();
  addTree(trees, { name, root, source }, parser);
  // Keep the main template first for callers that list templates.
  const ordered = new Map<string, Tree>([[name, trees.get(name)!]]);
  for (const [k, v] of trees) if (k !== name) ordered.set(k, v);
  return ordered;
}

/** Go's rule: a tree that is only white space and comments may be replaced silently. */
export function isEmptyTree(n: Node): boolean {
  switch (n.kind) {
    case 'list':
      return n.nodes.every(isEmptyTree);
    case 'text':
      return n.text.trim() === '';
    case 'comment':
      return true;
    default:
      return false;
  }
}

function addTree(trees: Map<string, Tree>, tree: Tree, parser: Parser): void {
  const existing = trees.get(tree.name);
  if (!existing || isEmptyTree(existing.root)) {
    trees.set(tree.name, tree);
    return;
  }
  if (!isEmptyTree(tree.root)) parser.errorf(`template: multiple definition of template ${JSON.stringify(tree.name)}`);
}

class Parser {
  private index = 0;
  private lastLine = 1;
  /** Variables visible at this point ("$" always is). */
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  /** Line where the action being parsed started, for "in action started at". */
  private actionLine = 0;

  constructor(
    private readonly source: Source,
    private readonly tokens: Token[],
    private readonly options: ParseOptions,
    private readonly trees: Map<string, Tree>,
  ) {}

  errorf(message: string): never {
    throw new TemplateError(
      `template: ${this.source.parseName}:${this.lastLine}: ${message}`,
      this.source.parseName,
      this.lastLine,
      -1,
      'parse',
    );
  }

  // ---- token access -------------------------------------------------------------------

  private next(): Token {
    const t = this.tokens[this.index] ?? this.tokens[this.tokens.length - 1]!;
    if (this.index < this.tokens.length - 1 || t.type === 'eof' || t.type === 'error') {
      if (this.index < this.tokens.length) this.index++;
    }
    this.lastLine = t.line;
    return t;
  }

  private backup(n = 1): void {
    this.index -= n;
  }

  private peek(): Token {
    return this.tokens[Math.min(this.index, this.tokens.length - 1)]!;
  }

  private nextNonSpace(): Token {
    let t = this.next();
    while (t.type === 'space') t = this.next();
    return t;
  }

  private peekNonSpace(): Token {
    const save = this.index;
    const t = this.nextNonSpace();
    this.index = save;
    return t;
  }

  private expect(type: TokenType, context: string): Token {
    const t = this.nextNonSpace();
    if (t.type !== type) this.unexpected(t, context);
    return t;
  }

  private unexpected(t: Token, context: string): never {
    if (t.type === 'error') {
      const extra =
        this.actionLine !== 0 && this.actionLine !== t.line
          ? ` in action started at ${this.source.parseName}:${this.actionLine}`
          : '';
      this.lastLine = t.line;
      this.errorf(`${t.val}${extra}`);
    }
    this.errorf(`unexpected ${tokenString(t)} in ${context}`);
  }

  private base(pos: number) {
    return { pos, source: this.source };
  }

  // ---- structure ----------------------------------------------------------------------

  parseTop(): ListNode {
    const list: ListNode = { kind: 'list', nodes: [], ...this.base(0) };
    while (this.peek().type !== 'eof') {
      if (this.peek().type === 'leftDelim') {
        const save = this.index;
        this.next();
        if (this.nextNonSpace().type === 'define') {
          this.parseDefinition();
          continue;
        }
        this.index = save;
      }
      const n = this.textOrAction();
      if (isMarker(n)) this.errorf(`unexpected ${n.kind === 'end' ? '{{end}}' : '{{else}}'}`);
      list.nodes.push(n);
    }
    return list;
  }

  private parseDefinition(): void {
    const context = 'define clause';
    const nameTok = this.nextNonSpace();
    if (nameTok.type !== 'string' && nameTok.type !== 'rawString') this.unexpected(nameTok, context);
    const name = this.unquote(nameTok);
    this.expect('rightDelim', context);
    const savedVars = this.vars;
    this.vars = ['$'];
    const { list, end } = this.itemList();
    if (end.kind !== 'end') this.errorf(`unexpected {{else}} in ${context}`);
    this.vars = savedVars;
    addTree(this.trees, { name, root: list, source: this.source }, this);
  }

  private itemList(): { list: ListNode; end: Marker } {
    const list: ListNode = { kind: 'list', nodes: [], ...this.base(this.peekNonSpace().pos) };
    while (this.peekNonSpace().type !== 'eof') {
      const n = this.textOrAction();
      if (isMarker(n)) return { list, end: n };
      list.nodes.push(n);
    }
    const t = this.peekNonSpace();
    this.lastLine = t.line;
    if (t.type === 'error') this.unexpected(t, 'input');
    this.errorf('unexpected EOF');
  }

  private textOrAction(): Node | Marker {
    const t = this.nextNonSpace();
    switch (t.type) {
      case 'text':
        return { kind: 'text', text: t.val, ...this.base(t.pos) };
      case 'leftDelim':
        this.actionLine = this.peek().line;
        try {
          return this.action();
        } finally {
          this.actionLine = 0;
        }
      default:
        this.unexpected(t, 'input');
    }
  }

  private action(): Node | Marker {
    const t = this.nextNonSpace();
    switch (t.type) {
      case 'block':
        return this.blockControl(t);
      case 'break':
        return this.breakOrContinue(t, 'break');
      case 'continue':
        return this.breakOrContinue(t, 'continue');
      case 'else':
        return this.elseControl(t);
      case 'end':
        this.expect('rightDelim', 'end');
        return { kind: 'end', pos: t.pos, line: t.line };
      case 'if':
        return this.branchControl('if', t);
      case 'range':
        return this.branchControl('range', t);
      case 'template':
        return this.templateControl(t);
      case 'with':
        return this.branchControl('with', t);
    }
    this.backup();
    const start = this.peek();
    // Declarations in a plain action persist until the enclosing {{end}}.
    const pipe = this.pipeline('command', 'rightDelim');
    return { kind: 'action', line: start.line, pipe, ...this.base(start.pos) };
  }

  private breakOrContinue(t: Token, which: 'break' | 'continue'): Node {
    const next = this.nextNonSpace();
    if (next.type !== 'rightDelim') this.unexpected(next, `{{${which}}}`);
    if (this.rangeDepth === 0) this.errorf(`{{${which}}} outside {{range}}`);
    return { kind: which, line: t.line, ...this.base(t.pos) };
  }

  private elseControl(t: Token): Marker {
    const peek = this.peekNonSpace();
    // "else if" / "else with": leave the keyword for the enclosing control to handle.
    if (peek.type === 'if' || peek.type === 'with') return { kind: 'else', pos: t.pos, line: t.line, chained: peek.type };
    this.expect('rightDelim', 'else');
    return { kind: 'else', pos: t.pos, line: t.line, chained: null };
  }

  private branchControl(context: 'if' | 'with' | 'range', t: Token): Node {
    const savedVars = this.vars.length;
    const pipe = this.pipeline(context, 'rightDelim');
    if (context === 'range') this.rangeDepth++;
    const { list, end } = this.itemList();
    if (context === 'range') this.rangeDepth--;
    let elseList: ListNode | null = null;
    if (end.kind === 'else') {
      if ((context === 'if' || context === 'with') && end.chained === context) {
        // {{if a}}x{{else if b}}y{{end}} is {{if a}}x{{else}}{{if b}}y{{end}}{{end}}
        // with the inner {{end}} shared.
        const kw = this.nextNonSpace();
        elseList = { kind: 'list', nodes: [this.branchControl(context, kw)], ...this.base(end.pos) };
      } else {
        if (end.chained !== null) this.errorf(`unexpected <${end.chained}> in else`);
        const r = this.itemList();
        if (r.end.kind !== 'end') this.errorf('expected end; found {{else}}');
        elseList = r.list;
      }
    }
    this.vars.length = savedVars;
    // Go positions a branch at its pipeline, which is where its errors point.
    const node: BranchFields = { line: t.line, pipe, list, elseList, ...this.base(pipe.pos) };
    return { ...node, kind: context };
  }

  private templateControl(t: Token): TemplateNode {
    const context = 'template clause';
    const nameTok = this.nextNonSpace();
    const name = this.parseTemplateName(nameTok, context);
    let pipe: PipeNode | null = null;
    if (this.nextNonSpace().type !== 'rightDelim') {
      this.backup();
      pipe = this.pipeline(context, 'rightDelim');
    }
    return { kind: 'template', line: t.line, name, pipe, ...this.base(nameTok.pos) };
  }

  private blockControl(t: Token): TemplateNode {
    const context = 'block clause';
    const nameTok = this.nextNonSpace();
    const name = this.parseTemplateName(nameTok, context);
    const pipe = this.pipeline(context, 'rightDelim');
    const savedVars = this.vars;
    const savedDepth = this.rangeDepth;
    this.vars = ['$'];
    this.rangeDepth = 0;
    const { list, end } = this.itemList();
    if (end.kind !== 'end') this.errorf(`unexpected {{else}} in ${context}`);
    this.vars = savedVars;
    this.rangeDepth = savedDepth;
    addTree(this.trees, { name, root: list, source: this.source }, this);
    return { kind: 'template', line: t.line, name, pipe, ...this.base(nameTok.pos) };
  }

  private parseTemplateName(t: Token, context: string): string {
    if (t.type === 'string' || t.type === 'rawString') return this.unquote(t);
    this.unexpected(t, context);
  }

  // ---- pipelines ----------------------------------------------------------------------

  private pipeline(context: string, end: TokenType): PipeNode {
    const first = this.peekNonSpace();
    const pipe: PipeNode = { kind: 'pipe', line: first.line, isAssign: false, decl: [], cmds: [], ...this.base(first.pos) };
    this.declarations(pipe, context);
    for (;;) {
      const t = this.nextNonSpace();
      if (t.type === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      switch (t.type) {
        case 'bool':
        case 'charConstant':
        case 'dot':
        case 'field':
        case 'identifier':
        case 'number':
        case 'nil':
        case 'rawString':
        case 'string':
        case 'variable':
        case 'leftParen':
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  /** `$x :=`, `$x =`, `$i, $v :=` (range only). Needs look-ahead past spaces. */
  private declarations(pipe: PipeNode, context: string): void {
    for (;;) {
      const v = this.peekNonSpace();
      if (v.type !== 'variable') return;
      const save = this.index;
      this.nextNonSpace();
      const next = this.peekNonSpace();
      if (next.type === 'assign' || next.type === 'declare') {
        pipe.isAssign = next.type === 'assign';
        this.nextNonSpace();
        pipe.decl.push(this.newVariable(v.pos, v.val));
        this.vars.push(v.val);
        return;
      }
      if (next.type === 'char' && next.val === ',') {
        this.nextNonSpace();
        pipe.decl.push(this.newVariable(v.pos, v.val));
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const after = this.peekNonSpace().type;
          if (after === 'variable' || after === 'rightDelim' || after === 'rightParen') continue;
          this.errorf('range can only initialize variables');
        }
        this.errorf(`too many declarations in ${context}`);
      }
      this.index = save;
      return;
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.forEach((cmd, i) => {
      if (i === 0) return;
      const first = cmd.args[0]!;
      if (['bool', 'dot', 'nil', 'number', 'string'].includes(first.kind)) {
        this.errorf(`non executable command in pipeline stage ${i + 1}`);
      }
    });
  }

  private command(): CommandNode {
    const cmd: CommandNode = { kind: 'command', args: [], ...this.base(this.peekNonSpace().pos) };
    for (;;) {
      this.skipSpaces();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const t = this.next();
      if (t.type === 'space') continue;
      if (t.type === 'rightDelim' || t.type === 'rightParen') this.backup();
      else if (t.type !== 'pipe') this.unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  private skipSpaces(): void {
    while (this.peek().type === 'space') this.next();
  }

  private operand(): ArgNode | null {
    const node = this.term();
    if (!node) return null;
    if (this.peek().type !== 'field') return node;
    const chainPos = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().type === 'field') fields.push(this.next().val.slice(1));
    switch (node.kind) {
      case 'field':
        return { kind: 'field', ident: [...node.ident, ...fields], ...this.base(chainPos) };
      case 'variable':
        return { kind: 'variable', ident: [...node.ident, ...fields], ...this.base(chainPos) };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        this.errorf(`unexpected . after term ${JSON.stringify(nodeString(node))}`);
      default:
        return { kind: 'chain', node, fields, ...this.base(chainPos) };
    }
  }

  private term(): ArgNode | null {
    const t = this.nextNonSpace();
    switch (t.type) {
      case 'identifier':
        if (!this.options.hasFunction(t.val)) this.errorf(`function ${JSON.stringify(t.val)} not defined`);
        return { kind: 'identifier', name: t.val, ...this.base(t.pos) };
      case 'dot':
        return { kind: 'dot', ...this.base(t.pos) };
      case 'nil':
        return { kind: 'nil', ...this.base(t.pos) };
      case 'variable':
        return this.useVar(t.pos, t.val);
      case 'field':
        return { kind: 'field', ident: [t.val.slice(1)], ...this.base(t.pos) };
      case 'bool':
        return { kind: 'bool', value: t.val === 'true', ...this.base(t.pos) };
      case 'charConstant':
      case 'number':
        return this.number(t);
      case 'leftParen':
        return this.pipeline('parenthesized pipeline', 'rightParen');
      case 'string':
      case 'rawString':
        return { kind: 'string', quoted: t.val, text: this.unquote(t), ...this.base(t.pos) };
    }
    this.backup();
    return null;
  }

  private newVariable(pos: number, name: string): VariableNode {
    return { kind: 'variable', ident: name.split('.'), ...this.base(pos) };
  }

  private useVar(pos: number, name: string): VariableNode {
    const v = this.newVariable(pos, name);
    if (!this.vars.includes(v.ident[0]!)) this.errorf(`undefined variable ${JSON.stringify(v.ident[0])}`);
    return v;
  }

  private unquote(t: Token): string {
    if (t.type === 'rawString') return t.val.slice(1, -1).replace(/\r/g, '');
    try {
      return unquoteGoString(t.val);
    } catch {
      this.errorf('invalid syntax');
    }
  }

  private number(t: Token): NumberNode {
    const base = { kind: 'number' as const, text: t.val, ...this.base(t.pos) };
    if (t.type === 'charConstant') {
      let cp: number;
      try {
        cp = unquoteGoChar(t.val);
      } catch {
        this.errorf(`malformed character constant: ${t.val}`);
      }
      return { ...base, value: cp, isFloat: false };
    }
    const text = t.val.replace(/_/g, '');
    if (text.endsWith('i')) this.errorf(`complex numbers are not supported: ${t.val}`);
    const isHex = /^[+-]?0[xX]/.test(text);
    const looksFloat = isHex ? /[.pP]/.test(text) : /[.eE]/.test(text);
    if (looksFloat) {
      const value = isHex ? parseHexFloat(text) : Number(text);
      if (Number.isNaN(value)) this.errorf(`illegal number syntax: ${JSON.stringify(t.val)}`);
      return { ...base, value, isFloat: true };
    }
    let big: bigint;
    try {
      const neg = text.startsWith('-');
      let digits = text.replace(/^[+-]/, '');
      // Go reads a leading 0 as octal ("017"), like 0o17.
      if (/^0[0-7]+$/.test(digits)) digits = '0o' + digits.slice(1);
      big = BigInt(digits);
      if (neg) big = -big;
    } catch {
      this.errorf(`illegal number syntax: ${JSON.stringify(t.val)}`);
    }
    if (big > 0x7fffffffffffffffn || big < -0x8000000000000000n) this.errorf(`${t.val} overflows int`);
    const value = big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
    return { ...base, value, isFloat: false };
  }
}

interface Marker {
  kind: 'end' | 'else';
  pos: number;
  line: number;
  chained?: 'if' | 'with' | null;
}

function isMarker(n: Node | Marker): n is Marker {
  return n.kind === 'end' || n.kind === 'else';
}

function parseHexFloat(text: string): number {
  const m = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/.exec(text);
  if (!m) return NaN;
  const intPart = m[2] || '0';
  const frac = m[3] ?? '';
  let v = parseInt(intPart + frac, 16) / Math.pow(16, frac.length);
  v *= Math.pow(2, Number(m[4] ?? 0));
  return m[1] === '-' ? -v : v;
}
