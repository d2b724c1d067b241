// The public face of the engine: parse once (a namespace of named trees sharing one function
// map), execute many times with different data.
import { builtinFuncs } from './builtins.js';
import { TemplateError } from './errors.js';
import { execute, type ExecEnv, type MissingKey } from './exec.js';
import type { FuncMap, TemplateFunc } from './funcs.js';
import { isEmptyTree, parse, type Tree } from './parser.js';

export interface TemplateOptions {
  /** Functions callable from the template; they take precedence over builtins of the same name. */
  funcs?: FuncMap;
  leftDelim?: string;
  rightDelim?: string;
  /** Go's Option("missingkey=..."): what a missing map key yields. Default: no value. */
  missingKey?: MissingKey;
}

/** What every template parsed into one namespace shares. */
interface Namespace {
  readonly trees: Map<string, Tree>;
  readonly funcs: Map<string, TemplateFunc>;
  readonly leftDelim: string;
  readonly rightDelim: string;
  readonly missingKey: MissingKey;
}

export class Template {
  private constructor(
    private readonly ns: Namespace,
    readonly name: string,
  ) {}

  /** Parses `text` as template `name`; {{define}}/{{block}} in it become associated templates. */
  static parse(name: string, text: string, options: TemplateOptions = {}): Template {
    const ns: Namespace = {
      trees: new Map(),
      funcs: new Map(Object.entries(options.funcs ?? {})),
      leftDelim: options.leftDelim || '{{',
      rightDelim: options.rightDelim || '}}',
      missingKey: options.missingKey ?? 'default',
    };
    const t = new Template(ns, name);
    t.addTemplate(name, text);
    return t;
  }

  /**
   * Parses more text into this namespace as template `name` (Go's t.New(name).Parse(text)).
   * A later non-empty definition replaces an earlier one, as AddParseTree does.
   */
  addTemplate(name: string, text: string): Template {
    const parsed = parse(name, text, {
      leftDelim: this.ns.leftDelim,
      rightDelim: this.ns.rightDelim,
      hasFunction: (fn) => this.ns.funcs.has(fn) || Object.prototype.hasOwnProperty.call(builtinFuncs, fn),
    });
    for (const [treeName, tree] of parsed) {
      const existing = this.ns.trees.get(treeName);
      if (existing && isEmptyTree(tree.root) && !isEmptyTree(existing.root)) continue;
      this.ns.trees.set(treeName, tree);
    }
    return new Template(this.ns, name);
  }

  /**
   * Adds or replaces functions for later parses and executions (Go's Funcs). Templates
   * already parsed keep working; a function they use may be swapped for another.
   */
  funcs(funcMap: FuncMap): Template {
    for (const [name, fn] of Object.entries(funcMap)) this.ns.funcs.set(name, fn);
    return this;
  }

  /** The template of that name in this namespace, if one was defined. */
  lookup(name: string): Template | undefined {
    return this.ns.trees.has(name) ? new Template(this.ns, name) : undefined;
  }

  /** Names of every template in the namespace. */
  templateNames(): string[] {
    return [...this.ns.trees.keys()];
  }

  /** Go's DefinedTemplates(): `; defined templates are: "a", "b"` or ''. */
  definedTemplates(): string {
    const names = this.templateNames();
    return names.length === 0 ? '' : '; defined templates are: ' + names.map((n) => JSON.stringify(n)).join(', ');
  }

  execute(data: unknown): string {
    const tree = this.ns.trees.get(this.name);
    if (!tree) {
      throw new TemplateError(
        `template: ${this.name}: ${JSON.stringify(this.name)} is an incomplete or empty template`,
        this.name,
        0,
        0,
        'exec',
      );
    }
    return execute(this.env(), this.name, tree, data);
  }

  executeTemplate(name: string, data: unknown): string {
    const t = this.lookup(name);
    if (!t) {
      throw new TemplateError(
        `template: no template ${JSON.stringify(name)} associated with template ${JSON.stringify(this.name)}`,
        this.name,
        0,
        0,
        'exec',
      );
    }
    return t.execute(data);
  }

  private env(): ExecEnv {
    const ns = this.ns;
    return {
      lookupTree: (n) => ns.trees.get(n),
      findFunction: (n) => {
        const fn = ns.funcs.get(n);
        if (fn) return { fn, builtin: false };
        if (Object.prototype.hasOwnProperty.call(builtinFuncs, n)) return { fn: builtinFuncs[n]!, builtin: true };
        return undefined;
      },
      missingKey: ns.missingKey,
    };
  }
}
