// The parse tree. Shapes follow Go's text/template/parse nodes, because execution rules and
// error contexts ("executing \"t\" at <.A.B>") are defined in terms of them.

export interface NodeBase {
  /** Byte offset of the node in the text of the template that was parsed. */
  readonly pos: number;
  /** The parse this node belongs to: its text is needed to turn pos into line:col. */
  readonly source: Source;
}

/** The text handed to one parse call, shared by every tree (define/block) found in it. */
export interface Source {
  readonly parseName: string;
  readonly text: string;
}

export type Node =
  | ListNode
  | TextNode
  | ActionNode
  | CommentNode
  | IfNode
  | WithNode
  | RangeNode
  | TemplateNode
  | BreakNode
  | ContinueNode
  | PipeNode
  | CommandNode
  | ArgNode;

export type ArgNode =
  | IdentifierNode
  | FieldNode
  | VariableNode
  | ChainNode
  | DotNode
  | NilNode
  | BoolNode
  | NumberNode
  | StringNode
  | PipeNode;

export interface ListNode extends NodeBase { kind: 'list'; nodes: Node[] }
export interface TextNode extends NodeBase { kind: 'text'; text: string }
export interface CommentNode extends NodeBase { kind: 'comment'; text: string }
export interface ActionNode extends NodeBase { kind: 'action'; line: number; pipe: PipeNode }
export interface BreakNode extends NodeBase { kind: 'break'; line: number }
export interface ContinueNode extends NodeBase { kind: 'continue'; line: number }

export interface BranchFields extends NodeBase {
  line: number;
  pipe: PipeNode;
  list: ListNode;
  elseList: ListNode | null;
}
export interface IfNode extends BranchFields { kind: 'if' }
export interface WithNode extends BranchFields { kind: 'with' }
export interface RangeNode extends BranchFields { kind: 'range' }

export interface TemplateNode extends NodeBase {
  kind: 'template';
  line: number;
  name: string;
  pipe: PipeNode | null;
}

export interface VariableRef { name: string; pos: number }

export interface PipeNode extends NodeBase {
  kind: 'pipe';
  line: number;
  /** `:=` declares, `=` assigns (isAssign). */
  isAssign: boolean;
  decl: VariableNode[];
  cmds: CommandNode[];
}

export interface CommandNode extends NodeBase { kind: 'command'; args: ArgNode[] }
export interface IdentifierNode extends NodeBase { kind: 'identifier'; name: string }
/** `$x.A.B`: ident[0] is the variable name including `$`. */
export interface VariableNode extends NodeBase { kind: 'variable'; ident: string[] }
/** `.A.B`: ident holds the field names without dots. */
export interface FieldNode extends NodeBase { kind: 'field'; ident: string[] }
/** `(pipeline).A.B` or `fn.A` – a term followed by fields. */
export interface ChainNode extends NodeBase { kind: 'chain'; node: ArgNode; fields: string[] }
export interface DotNode extends NodeBase { kind: 'dot' }
export interface NilNode extends NodeBase { kind: 'nil' }
export interface BoolNode extends NodeBase { kind: 'bool'; value: boolean }
export interface NumberNode extends NodeBase {
  kind: 'number';
  /** Literal as written, for messages. */
  text: string;
  /** The value the executor uses (Go's ideal-constant rules applied). */
  value: number | bigint;
  isFloat: boolean;
}
export interface StringNode extends NodeBase { kind: 'string'; quoted: string; text: string }

/** Renders a node the way Go's Node.String() does; used in error contexts. */
export function nodeString(n: Node): string {
  switch (n.kind) {
    case 'list':
      return n.nodes.map(nodeString).join('');
    case 'text':
      return JSON.stringify(n.text);
    case 'comment':
      return `{{${n.text}}}`;
    case 'action':
      return `{{${nodeString(n.pipe)}}}`;
    case 'break':
      return '{{break}}';
    case 'continue':
      return '{{continue}}';
    case 'if':
    case 'with':
    case 'range': {
      const elsePart = n.elseList ? `{{else}}${nodeString(n.elseList)}` : '';
      return `{{${n.kind} ${nodeString(n.pipe)}}}${nodeString(n.list)}${elsePart}{{end}}`;
    }
    case 'template':
      return n.pipe ? `{{template ${JSON.stringify(n.name)} ${nodeString(n.pipe)}}}` : `{{template ${JSON.stringify(n.name)}}}`;
    case 'pipe': {
      let s = '';
      if (n.decl.length > 0) s = n.decl.map(nodeString).join(', ') + (n.isAssign ? ' = ' : ' := ');
      return s + n.cmds.map(nodeString).join(' | ');
    }
    case 'command':
      return n.args.map((a) => (a.kind === 'pipe' ? `(${nodeString(a)})` : nodeString(a))).join(' ');
    case 'identifier':
      return n.name;
    case 'variable':
      return n.ident.join('.');
    case 'field':
      return n.ident.map((f) => '.' + f).join('');
    case 'chain': {
      const head = n.node.kind === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node);
      return head + n.fields.map((f) => '.' + f).join('');
    }
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return String(n.value);
    case 'number':
      return n.text;
    case 'string':
      return n.quoted;
  }
}
