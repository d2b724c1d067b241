// JSON, YAML and base64 as Go encodes them: encoding/json (sorted keys, HTML-safe escapes)
// and sigs.k8s.io/yaml (JSON first, then YAML with go-yaml v2's key order and quoting).
import YAML from 'yaml';
import { FuncError } from '../errors.js';
import { goFunc, type FuncMap } from '../funcs.js';
import { formatFloat } from '../floatfmt.js';
import { isMap, sortedEntries } from '../values.js';

class UnsupportedError extends Error {}

function jsonString(s: string, escapeHTML: boolean): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
    }
    if (cp < 0x20 || (escapeHTML && (ch === '<' || ch === '>' || ch === '&')) || cp === 0x2028 || cp === 0x2029) {
      out += '\\u' + cp.toString(16).padStart(4, '0');
    } else out += ch;
  }
  return out + '"';
}

/** json.Marshal / MarshalIndent over plain data. Throws UnsupportedError like Go's errors. */
export function goJson(v: unknown, options: { indent?: string; escapeHTML?: boolean } = {}): string {
  const indent = options.indent ?? '';
  const escapeHTML = options.escapeHTML ?? true;
  const enc = (x: unknown, prefix: string): string => {
    if (x === null || x === undefined) return 'null';
    switch (typeof x) {
      case 'string':
        return jsonString(x, escapeHTML);
      case 'boolean':
        return String(x);
      case 'bigint':
        return x.toString();
      case 'number':
        if (!Number.isFinite(x)) throw new UnsupportedError(`json: unsupported value: ${formatFloat(x, 'g', -1)}`);
        // Go and ECMAScript agree on float text (exponent below 1e-6 and from 1e21).
        return Object.is(x, -0) ? '-0' : String(x);
      case 'function':
        throw new UnsupportedError('json: unsupported type: func()');
    }
    if (x instanceof Uint8Array) return jsonString(Buffer.from(x).toString('base64'), escapeHTML);
    const inner = prefix + indent;
    const nl = indent ? '\n' : '';
    const colon = indent ? ': ' : ':';
    if (Array.isArray(x)) {
      if (x.length === 0) return '[]';
      return '[' + nl + x.map((e) => inner + enc(e, inner)).join(',' + nl) + nl + prefix + ']';
    }
    const obj = x as object;
    if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') return enc((obj as { toJSON: () => unknown }).toJSON(), prefix);
    const entries = isMap(obj)
      ? sortedEntries(obj).map(([k, e]) => [String(k), e] as const)
      : Object.entries(obj).filter(([, e]) => e !== undefined && typeof e !== 'function');
    if (entries.length === 0) return '{}';
    return '{' + nl + entries.map(([k, e]) => inner + jsonString(k, escapeHTML) + colon + enc(e, inner)).join(',' + nl) + nl + prefix + '}';
  };
  return enc(v, '');
}

/** go-yaml v2's key order: digit runs compare as numbers, non-letters before letters. */
export function yamlKeyLess(a: string, b: string): number {
  const ar = [...a];
  const br = [...b];
  const isLetter = (c: string) => /^\p{L}$/u.test(c);
  const isDigit = (c: string | undefined) => c !== undefined && /^\p{Nd}$/u.test(c);
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) continue;
    const al = isLetter(ar[i]!);
    const bl = isLetter(br[i]!);
    if (al && bl) return ar[i]!.codePointAt(0)! - br[i]!.codePointAt(0)!;
    if (al || bl) return bl ? -1 : 1;
    let an = 0;
    let bn = 0;
    if (ar[i] === '0' || br[i] === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]); j--) {
        if (ar[j] !== '0') {
          an = 1;
          bn = 1;
          break;
        }
      }
    }
    let ai = i;
    let bi = i;
    for (; ai < ar.length && isDigit(ar[ai]); ai++) an = an * 10 + Number(ar[ai]);
    for (; bi < br.length && isDigit(br[bi]); bi++) bn = bn * 10 + Number(br[bi]);
    if (an !== bn) return an - bn;
    if (ai !== bi) return ai - bi;
    return ar[i]!.codePointAt(0)! - br[i]!.codePointAt(0)!;
  }
  return ar.length - br.length;
}

/** Plain scalars go-yaml v2 would read back as something other than a string. */
const ambiguousScalar =
  /^(?:|~|null|Null|NULL|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0[0-7_]+|[-+]?0x[0-9a-fA-F_]+|[-+]?0b[01_]+|[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?)$/;

/** sigs.k8s.io/yaml Marshal: the JSON view of the value, emitted as go-yaml v2 would. */
export function goYaml(v: unknown): string {
  const plain: unknown = JSON.parse(goJson(v, { escapeHTML: false }));
  const doc = new YAML.Document(plain, {
    version: '1.1',
    sortMapEntries: (x, y) => yamlKeyLess(String((x.key as YAML.Scalar).value), String((y.key as YAML.Scalar).value)),
  });
  YAML.visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && ambiguousScalar.test(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString({ indentSeq: false, lineWidth: 0, minContentWidth: 0, singleQuote: true });
}

const b64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function b64dec(s: string): string {
  if (!b64Pattern.test(s)) {
    // Go names the first byte it could not use; sprig returns the error text as the result.
    const bad = s.search(/[^A-Za-z0-9+/=]/);
    const at = bad >= 0 ? bad : Math.max(0, s.length - (s.length % 4 || 4));
    return `illegal base64 data at input byte ${at}`;
  }
  return Buffer.from(s, 'base64').toString('utf8');
}

export const encodingFuncs: FuncMap = {
  toJson: goFunc(['any'], (v: unknown) => {
    try {
      return goJson(v);
    } catch {
      return '';
    }
  }),
  mustToJson: goFunc(['any'], (v: unknown) => goJson(v)),
  toPrettyJson: goFunc(['any'], (v: unknown) => {
    try {
      return goJson(v, { indent: '  ' });
    } catch {
      return '';
    }
  }),
  toRawJson: goFunc(['any'], (v: unknown) => {
    try {
      return goJson(v, { escapeHTML: false });
    } catch {
      return '';
    }
  }),
  fromJson: goFunc(['string'], (s: string) => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      return null;
    }
  }),
  mustFromJson: goFunc(['string'], (s: string) => {
    try {
      return JSON.parse(s) as unknown;
    } catch (e) {
      throw new FuncError((e as Error).message);
    }
  }),
  // sprig drops the final newline so that `toYaml | nindent 4` composes.
  toYaml: goFunc(['any'], (v: unknown) => {
    try {
      return goYaml(v).replace(/\n$/, '');
    } catch {
      return '';
    }
  }),
  fromYaml: goFunc(['string'], (s: string) => {
    try {
      return (YAML.parse(s, { version: '1.1' }) as unknown) ?? {};
    } catch (e) {
      return { Error: (e as Error).message };
    }
  }),
  b64enc: goFunc(['string'], (s: string) => Buffer.from(s, 'utf8').toString('base64')),
  b64dec: goFunc(['string'], b64dec),
};
