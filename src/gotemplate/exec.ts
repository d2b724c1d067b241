// Walks a parsed tree against data, with Go's evaluation rules: what a field of a map, a nil
// or a missing value yields, how variables are scoped, how arguments are checked.
import type {
  ArgNode,
  BranchFields,
  ChainNode,
  CommandNode,
  FieldNode,
  IdentifierNode,
  ListNode,
  Node,
  PipeNode,
  RangeNode,
  TemplateNode,
  VariableNode,
} from './ast.js';
import { nodeString } from './ast.js';
import { TemplateError } from './errors.js';
import { canBeNil, goParamTypeName, signatureOf, type GoParam, type TemplateFunc } from './funcs.js';
import type { Tree } from './parser.js';
import { formatValue } from './printf.js';
import { goTypeName, isMap, isTrue, kindOf, mapLookup, sortedEntries } from './values.js';

/**
 * A value together with whether Go would see it through an interface{}. Map elements, slice
 * elements and function results are boxed; that changes only error messages
 * ("can't evaluate field X in type interface {}") and what nil means.
 */
interface Val {
  v: unknown;
  boxed: boolean;
}

interface Variable {
  name: string;
  val: Val;
}

const MISSING: unique symbol = Symbol('missing final argument');
type Final = Val | typeof MISSING;

const BREAK = Symbol('break');
const CONTINUE = Symbol('continue');

/** How deep {{template}} calls may nest before we stop (Go allows 100000 frames it has). */
export const maxExecDepth = 1000;

export type MissingKey = 'default' | 'zero' | 'error';

export interface ExecEnv {
  lookupTree(name: string): Tree | undefined;
  /** A function by name and whether it is one of the builtins (and/or short-circuit only then). */
  findFunction(name: string): { fn: TemplateFunc; builtin: boolean } | undefined;
  missingKey: MissingKey;
}

const unboxed = (v: unknown): Val => ({ v, boxed: false });

/** Executes `tree` (template `name`) on `data`; throws TemplateError, never returns partial output. */
export function execute(env: ExecEnv, name: string, tree: Tree, data: unknown): string {
  // Go's reflect.ValueOf(nil) is the invalid value: a nil root behaves as "no value".
  const root = unboxed(data === null ? undefined : data);
  const state = new State(env, name, [], 0);
  state.vars.push({ name: '$', val: root });
  try {
    state.walk(root, tree.root);
  } catch (e) {
    if (e instanceof TemplateError) throw e;
    if (isStackOverflow(e)) {
      throw new TemplateError(`template: ${name}: exceeded maximum template depth`, name, 0, 0, 'exec');
    }
    // A throwing getter or proxy in the data: report it where it happened, as Go reports panics.
    state.errorf(e instanceof Error ? e.message : String(e));
  }
  return state.out.join('');
}

const isStackOverflow = (e: unknown): boolean => e instanceof RangeError && /call stack/i.test(e.message);

class State {
  readonly vars: Variable[] = [];
  /** The node being evaluated: where an error is reported. */
  private node: Node | null = null;

  constructor(
    private readonly env: ExecEnv,
    /** Name of the template executing now, for "executing \"NAME\"". */
    private readonly tmplName: string,
    readonly out: string[],
    private readonly depth: number,
  ) {}

  // ---- errors -------------------------------------------------------------------------

  private at(node: Node): void {
    this.node = node;
  }

  errorf(message: string): never {
    const node = this.node;
    const name = this.tmplName;
    if (!node) throw new TemplateError(`template: ${name}: ${message}`, name, 0, 0, 'exec');
    const text = node.source.text.slice(0, node.pos);
    const lastNl = text.lastIndexOf('\n');
    const col = lastNl < 0 ? node.pos : node.pos - (lastNl + 1);
    const line = 1 + (text.match(/\n/g)?.length ?? 0);
    let context = nodeString(node);
    if (context.length > 20) context = context.slice(0, 20) + '...';
    throw new TemplateError(
      `template: ${node.source.parseName}:${line}:${col}: executing ${JSON.stringify(name)} at <${context}>: ${message}`,
      node.source.parseName,
      line,
      col,
      'exec',
    );
  }

  // ---- variables ----------------------------------------------------------------------

  private mark(): number {
    return this.vars.length;
  }

  private pop(mark: number): void {
    this.vars.length = mark;
  }

  private setVar(name: string, val: Val): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) {
        this.vars[i]!.val = val;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  /** Sets the n-th variable from the top (1 is the top). */
  private setTopVar(n: number, val: Val): void {
    this.vars[this.vars.length - n]!.val = val;
  }

  private varValue(name: string): Val {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) return this.vars[i]!.val;
    }
    this.errorf(`undefined variable: ${name}`);
  }

  // ---- statements ---------------------------------------------------------------------

  walk(dot: Val, node: Node): void {
    this.at(node);
    switch (node.kind) {
      case 'action': {
        // Declarations persist to the enclosing {{end}}; a declaring action prints nothing.
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, val);
        return;
      }
      case 'break':
        throw BREAK;
      case 'continue':
        throw CONTINUE;
      case 'comment':
        return;
      case 'if':
      case 'with':
        this.walkIfOrWith(node.kind, dot, node);
        return;
      case 'list':
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case 'range':
        this.walkRange(dot, node);
        return;
      case 'template':
        this.walkTemplate(dot, node);
        return;
      case 'text':
        this.out.push(node.text);
        return;
      default:
        this.errorf(`unknown node: ${nodeString(node)}`);
    }
  }

  private walkIfOrWith(kind: 'if' | 'with', dot: Val, node: BranchFields): void {
    const mark = this.mark();
    try {
      const val = this.evalPipeline(dot, node.pipe);
      if (isTrue(val)) this.walk(kind === 'with' ? unboxed(val) : dot, node.list);
      else if (node.elseList) this.walk(dot, node.elseList);
    } finally {
      this.pop(mark);
    }
  }

  private walkRange(dot: Val, r: RangeNode): void {
    this.at(r);
    const outer = this.mark();
    try {
      const val = this.evalPipeline(dot, r.pipe);
      const mark = this.mark();
      const decl = r.pipe.decl;
      const oneIteration = (index: Val, elem: Val): void => {
        if (decl.length > 0) {
          if (r.pipe.isAssign) this.setVar(decl[0]!.ident[0]!, decl.length > 1 ? index : elem);
          else this.setTopVar(1, elem);
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) this.setVar(decl[1]!.ident[0]!, elem);
          else this.setTopVar(2, index);
        }
        try {
          this.walk(elem, r.list);
        } catch (e) {
          if (e !== CONTINUE) throw e;
        } finally {
          this.pop(mark);
        }
      };
      let ran = false;
      try {
        switch (kindOf(val)) {
          case 'slice': {
            const arr = val as ArrayLike<unknown>;
            for (let i = 0; i < arr.length; i++) {
              ran = true;
              oneIteration(unboxed(i), { v: arr[i] ?? null, boxed: true });
            }
            break;
          }
          case 'map':
            for (const [k, v] of sortedEntries(val as Record<string, unknown>)) {
              ran = true;
              oneIteration(unboxed(k), { v, boxed: true });
            }
            break;
          case 'int': {
            if (decl.length > 1) {
              this.at(r);
              this.errorf(`can't use ${formatValue(val)} to iterate over more than one variable`);
            }
            const n = Number(val);
            for (let i = 0; i < n; i++) {
              ran = true;
              oneIteration(unboxed(i), unboxed(i));
            }
            break;
          }
          case 'invalid':
          case 'nil':
            break; // Ranging over nothing is not an error: the else branch runs.
          default:
            this.at(r);
            this.errorf(`range can't iterate over ${formatValue(val)}`);
        }
      } catch (e) {
        if (e !== BREAK) throw e;
        return;
      }
      if (!ran && r.elseList) this.walk(dot, r.elseList);
    } finally {
      this.pop(outer);
    }
  }

  private walkTemplate(dot: Val, t: TemplateNode): void {
    this.at(t);
    const tree = this.env.lookupTree(t.name);
    if (!tree) this.errorf(`template ${JSON.stringify(t.name)} not defined`);
    if (this.depth >= maxExecDepth) this.errorf(`exceeded maximum template depth (${maxExecDepth})`);
    const newDot = unboxed(t.pipe ? this.evalPipeline(dot, t.pipe) : undefined);
    // No dynamic scoping: the called template sees only its own $.
    const inner = new State(this.env, t.name, this.out, this.depth + 1);
    inner.vars.push({ name: '$', val: newDot });
    try {
      inner.walk(newDot, tree.root);
    } catch (e) {
      if (e instanceof TemplateError || isStackOverflow(e)) throw e;
      inner.errorf(e instanceof Error ? e.message : String(e));
    }
  }

  private printValue(node: Node, v: unknown): void {
    this.at(node);
    if (v === undefined) {
      this.out.push('<no value>');
      return;
    }
    if (typeof v === 'function') this.errorf(`can't print ${nodeString(node)} of type ${goTypeName(v)}`);
    this.out.push(formatValue(v));
  }

  // ---- expressions --------------------------------------------------------------------

  /** Returns the pipeline's value with any interface{} box removed: nil becomes no value. */
  private evalPipeline(dot: Val, pipe: PipeNode): unknown {
    this.at(pipe);
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) {
      const r = this.evalCommand(dot, cmd, value);
      value = { v: r.v === null ? undefined : r.v, boxed: false };
    }
    const result = value === MISSING ? undefined : value.v;
    for (const variable of pipe.decl) {
      if (pipe.isAssign) this.setVar(variable.ident[0]!, unboxed(result));
      else this.vars.push({ name: variable.ident[0]!, val: unboxed(result) });
    }
    return result;
  }

  private notAFunction(args: ArgNode[], final: Final): void {
    if (args.length > 1 || final !== MISSING) this.errorf(`can't give argument to non-function ${nodeString(args[0]!)}`);
  }

  private evalCommand(dot: Val, cmd: CommandNode, final: Final): Val {
    const first = cmd.args[0]!;
    switch (first.kind) {
      case 'field':
        return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain':
        return this.evalChainNode(dot, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return unboxed(this.evalPipeline(dot, first));
      case 'variable':
        return this.evalVariableNode(dot, first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.kind) {
      case 'bool':
        return unboxed(first.value);
      case 'dot':
        return dot;
      case 'nil':
        this.errorf('nil is not a command');
      case 'number':
        return unboxed(first.value);
      case 'string':
        return unboxed(first.text);
    }
  }

  private evalFieldNode(dot: Val, field: FieldNode, args: ArgNode[], final: Final): Val {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  private evalChainNode(dot: Val, chain: ChainNode, args: ArgNode[], final: Final): Val {
    this.at(chain);
    if (chain.node.kind === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const pipe = this.evalArg(dot, undefined, chain.node);
    return this.evalFieldChain(dot, unboxed(pipe), chain, chain.fields, args, final);
  }

  private evalVariableNode(dot: Val, variable: VariableNode, args: ArgNode[], final: Final): Val {
    this.at(variable);
    const value = this.varValue(variable.ident[0]!);
    if (variable.ident.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, variable, variable.ident.slice(1), args, final);
  }

  private evalFieldChain(dot: Val, receiver: Val, node: Node, ident: string[], args: ArgNode[], final: Final): Val {
    let r = receiver;
    for (let i = 0; i < ident.length - 1; i++) r = this.evalField(dot, ident[i]!, node, [], MISSING, r);
    return this.evalField(dot, ident[ident.length - 1]!, node, args, final, r);
  }

  private evalField(dot: Val, fieldName: string, node: Node, args: ArgNode[], final: Final, receiver: Val): Val {
    const v = receiver.v;
    if (v === undefined) {
      if (this.env.missingKey === 'error') this.errorf(`nil data; no entry for key ${JSON.stringify(fieldName)}`);
      return unboxed(undefined);
    }
    const typ = receiver.boxed ? 'interface {}' : goTypeName(v);
    if (v === null) this.errorf(`nil pointer evaluating ${typ}.${fieldName}`);
    const hasArgs = args.length > 1 || final !== MISSING;
    const kind = kindOf(v);
    if (kind === 'map') {
      const r = mapLookup(v as Record<string, unknown>, fieldName);
      if (typeof r.value === 'function') return this.evalCall(dot, r.value as TemplateFunc, false, node, fieldName, args, final, v);
      if (hasArgs) this.errorf(`${fieldName} is not a method but has arguments`);
      if (!r.found) {
        if (this.env.missingKey === 'error') this.errorf(`map has no entry for key ${JSON.stringify(fieldName)}`);
        if (r.value !== undefined) return { v: r.value, boxed: true };
        // missingkey=zero gives the element type's zero: a nil interface{}, which is why
        // `.a.b` then fails with "nil pointer evaluating interface {}.b" (Helm's behaviour).
        return this.env.missingKey === 'zero' ? { v: null, boxed: true } : unboxed(undefined);
      }
      return { v: r.value, boxed: true };
    }
    if (kind === 'struct' && fieldName in (v as object)) {
      const value = (v as Record<string, unknown>)[fieldName];
      if (typeof value === 'function') return this.evalCall(dot, value as TemplateFunc, false, node, fieldName, args, final, v);
      if (hasArgs) this.errorf(`${fieldName} has arguments but cannot be invoked as function`);
      return { v: value === undefined ? null : value, boxed: true };
    }
    this.errorf(`can't evaluate field ${fieldName} in type ${typ}`);
  }

  private evalFunction(dot: Val, node: IdentifierNode, cmd: Node, args: ArgNode[], final: Final): Val {
    this.at(node);
    const found = this.env.findFunction(node.name);
    if (!found) this.errorf(`${JSON.stringify(node.name)} is not a defined function`);
    return this.evalCall(dot, found.fn, found.builtin, cmd, node.name, args, final, undefined);
  }

  /**
   * Calls fn with args[1:] (args[0] names the function) plus the piped final value.
   * `node` locates "error calling" messages; arity errors point where Go's do.
   */
  private evalCall(
    dot: Val,
    fn: TemplateFunc,
    isBuiltin: boolean,
    node: Node,
    name: string,
    args: ArgNode[],
    final: Final,
    self: unknown,
  ): Val {
    const argNodes = args.slice(1);
    const sig = signatureOf(fn);
    const numIn = argNodes.length + (final !== MISSING ? 1 : 0);
    if (sig) {
      const fixed = sig.params.length;
      if (sig.variadic !== undefined) {
        if (numIn < fixed) this.errorf(`wrong number of args for ${name}: want at least ${fixed} got ${numIn}`);
      } else if (numIn !== fixed) {
        this.errorf(`wrong number of args for ${name}: want ${fixed} got ${numIn}`);
      }
    }
    const paramType = (i: number): GoParam | undefined =>
      sig ? (i < sig.params.length ? sig.params[i] : sig.variadic) : undefined;

    if (isBuiltin && (name === 'and' || name === 'or')) {
      // Short-circuit: later operands are not evaluated once the result is known.
      let v: unknown;
      for (const arg of argNodes) {
        v = this.evalArg(dot, 'value', arg);
        if (isTrue(v) === (name === 'or')) return unboxed(v);
      }
      if (final !== MISSING) v = final.v;
      return unboxed(v);
    }

    const argv: unknown[] = argNodes.map((arg, i) => this.evalArg(dot, paramType(i), arg));
    if (final !== MISSING) argv.push(this.validateType(final, paramType(argNodes.length)));
    let result: unknown;
    try {
      result = fn.apply(self, argv);
    } catch (e) {
      this.at(node);
      this.errorf(`error calling ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (result instanceof Promise) {
      this.at(node);
      this.errorf(`error calling ${name}: template functions must be synchronous`);
    }
    return { v: result === undefined ? null : result, boxed: true };
  }

  /** Evaluates an argument for a parameter of the given Go type (undefined: a JS function). */
  private evalArg(dot: Val, typ: GoParam | undefined, n: ArgNode): unknown {
    this.at(n);
    switch (n.kind) {
      case 'dot':
        return this.validateType(dot, typ);
      case 'nil':
        if (canBeNil(typ)) return null;
        this.errorf(`cannot assign nil to ${goParamTypeName(typ!)}`);
      case 'field':
        return this.validateType(this.evalFieldNode(dot, n, [n], MISSING), typ);
      case 'variable':
        return this.validateType(this.evalVariableNode(dot, n, [], MISSING), typ);
      case 'pipe':
        return this.validateType(unboxed(this.evalPipeline(dot, n)), typ);
      case 'identifier':
        return this.validateType(this.evalFunction(dot, n, n, [n], MISSING), typ);
      case 'chain':
        return this.validateType(this.evalChainNode(dot, n, [], MISSING), typ);
    }
    // Literals: Go checks them against the parameter type with its own wording.
    const literal = n.kind === 'number' ? n.value : n.kind === 'string' ? n.text : n.value;
    switch (typ) {
      case 'string':
        if (n.kind !== 'string') this.errorf(`expected string; found ${nodeString(n)}`);
        return literal;
      case 'int':
      case 'int64':
        if (n.kind !== 'number' || n.isFloat) this.errorf(`expected integer; found ${nodeString(n)}`);
        return typeof literal === 'bigint' ? Number(literal) : literal;
      case 'float64':
        if (n.kind !== 'number') this.errorf(`expected float; found ${nodeString(n)}`);
        return Number(literal);
      case 'bool':
        if (n.kind !== 'bool') this.errorf(`expected bool; found ${nodeString(n)}`);
        return literal;
      case 'map':
      case 'list':
        this.errorf(`can't handle ${nodeString(n)} for arg of type ${goParamTypeName(typ)}`);
      default:
        return literal;
    }
  }

  /** Go's validateType: converts a value for a parameter, or fails with Go's wording. */
  private validateType(val: Val, typ: GoParam | undefined): unknown {
    const v = val.v;
    if (typ === undefined || typ === 'value') return v;
    if (v === undefined) {
      if (canBeNil(typ)) return null;
      this.errorf(`invalid value; expected ${goParamTypeName(typ)}`);
    }
    if (v === null) {
      if (canBeNil(typ)) return null;
      this.errorf(`wrong type for value; expected ${goParamTypeName(typ)}; got interface {}`);
    }
    const k = kindOf(v);
    const wrong = (): never => this.errorf(`wrong type for value; expected ${goParamTypeName(typ)}; got ${goTypeName(v)}`);
    switch (typ) {
      case 'any':
        return v;
      case 'string':
        return k === 'string' ? v : wrong();
      case 'int':
      case 'int64':
        return k === 'int' ? Number(v) : wrong();
      case 'float64':
        return k === 'int' || k === 'float' ? Number(v) : wrong();
      case 'bool':
        return k === 'bool' ? v : wrong();
      case 'map':
        return isMap(v) ? v : wrong();
      case 'list':
        return Array.isArray(v) ? v : wrong();
    }
  }
}
