// Multi-document YAML as kubectl reads and writes it.
//
// Reading: kubectl splits a stream on `---` lines before any YAML parser sees it, so a
// broken document cannot swallow its neighbours, and it decodes with go-yaml v2, a YAML 1.1
// parser (`yes` is true, `0755` is 493) that leaves timestamps as strings and knows no
// sexagesimal numbers. We do the same, and keep each document's position so that every
// error can say "document 3 (line 41): …". One difference: a key given twice is an error
// here, where go-yaml silently keeps the last value.
//
// Writing: kubectl's encoder quotes every string a YAML 1.1 reader would take for something
// else ("on", "yes", "y", "1.0", "0755", "~", ""), prints sequences flush with their key and
// never folds long lines. Keys keep the order they were given in.
import { Document, LineCounter, Scalar, isScalar, parseDocument, visit } from 'yaml';
import type { Tags } from 'yaml';

/** One non-empty document of a stream, with where it came from. */
export interface YamlDocument {
  /** 1-based position among the stream's non-empty documents. */
  index: number;
  /** 1-based line of the stream on which the document's text starts. */
  line: number;
  /** The document's source text. */
  text: string;
  /** The decoded value: plain JSON-like data. */
  value: unknown;
}

/** A document that does not parse; `line` is the stream line of the first problem. */
export class YamlDocumentError extends Error {
  constructor(
    readonly index: number,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`document ${index} (line ${line}): ${reason}`);
    this.name = 'YamlDocumentError';
  }
}

/** "document 3 (line 41)": how errors about a document name it. */
export function documentLabel(doc: Pick<YamlDocument, 'index' | 'line'>): string {
  return `document ${doc.index} (line ${doc.line})`;
}

export interface ParseYamlOptions {
  /** YAML version used to resolve plain scalars. kubectl's decoder is YAML 1.1. */
  version?: '1.1' | '1.2';
}

interface Chunk {
  text: string;
  line: number;
}

// A document marker is `---` at column 0 followed by the end of the line or white space;
// YAML forbids such a line inside any scalar, so splitting on it is exact, not a heuristic.
const DOCUMENT_MARKER = /^---(?=[ \t]|$)/;

function splitChunks(stream: string): Chunk[] {
  const lines = stream.split(/\r?\n/);
  const chunks: Chunk[] = [];
  let current: string[] = [];
  let start = 1;
  lines.forEach((line, i) => {
    if (DOCUMENT_MARKER.test(line) && isDirectivesOnly(current)) {
      // `%YAML 1.1` and `%TAG` lines belong to the document this marker starts.
      current.push(line);
    } else if (DOCUMENT_MARKER.test(line)) {
      chunks.push({ text: current.join('\n'), line: start });
      // Content on the marker line (`--- !tag` or `--- value`) belongs to the next document.
      const rest = line.slice(3).trimStart();
      current = rest === '' || rest.startsWith('#') ? [] : [rest];
      start = rest === '' || rest.startsWith('#') ? i + 2 : i + 1;
    } else {
      current.push(line);
    }
  });
  chunks.push({ text: current.join('\n'), line: start });
  return chunks;
}

function isDirectivesOnly(lines: readonly string[]): boolean {
  const meaningful = lines.filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
  return meaningful.length > 0 && meaningful.every((line) => line.startsWith('%'));
}

// go-yaml v2 resolves neither timestamps (kept as strings "for backward compatibility") nor
// base-60 numbers when decoding into untyped data; the yaml package's 1.1 schema does both.
function kubectlTags(tags: Tags): Tags {
  return tags.filter((tag) => {
    const t = tag as { tag?: string; format?: string };
    return t.tag !== 'tag:yaml.org,2002:timestamp' && t.format !== 'TIME';
  });
}

function firstLineOf(message: string): string {
  return message.split('\n')[0] ?? message;
}

/**
 * Splits a stream into its non-empty documents and decodes each one.
 * Throws YamlDocumentError naming the first broken document and line.
 */
export function parseYamlDocuments(stream: string, options: ParseYamlOptions = {}): YamlDocument[] {
  const version = options.version ?? '1.1';
  const docs: YamlDocument[] = [];
  for (const chunk of splitChunks(stream)) {
    // kubectl decodes a document that starts with `{` as JSON; JSON indented with tabs is
    // valid JSON but not valid YAML, so try JSON first and fall back to YAML for its errors.
    const json = /^\s*\{/.test(chunk.text) ? tryJson(chunk.text) : undefined;
    if (json !== undefined) {
      docs.push({ index: docs.length + 1, line: chunk.line, text: chunk.text, value: json.value });
      continue;
    }
    const lineCounter = new LineCounter();
    const doc = parseDocument(chunk.text, {
      version,
      merge: true,
      customTags: version === '1.1' ? kubectlTags : undefined,
      prettyErrors: false,
      lineCounter,
    });
    // An empty document (only blanks and comments) is not an object: kubectl skips it.
    if (doc.errors.length === 0 && (doc.contents === null || isEmptyNull(doc.contents))) continue;
    const index = docs.length + 1;
    const problem = doc.errors[0];
    if (problem) {
      // Positions are relative to the chunk; the user needs them relative to the stream.
      const at = lineCounter.linePos(problem.pos[0]);
      const reason = `${firstLineOf(problem.message)} (column ${at.col})`;
      throw new YamlDocumentError(index, chunk.line + at.line - 1, reason);
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      throw new YamlDocumentError(index, chunk.line, (err as Error).message);
    }
    docs.push({ index, line: chunk.line, text: chunk.text, value });
  }
  return docs;
}

function tryJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

function isEmptyNull(node: unknown): boolean {
  // `---` followed by nothing parses as an implicit null scalar with an empty source.
  return isScalar(node) && node.value === null && (node.source === undefined || node.source === '');
}

// Strings that a YAML 1.2 reader or Go's number parsing (which go-yaml uses) would turn into
// numbers although the YAML 1.1 schema would not. (Not handled: the yaml package always
// prints the string "<<" plain, as a merge key; no Kubernetes field can hold it usefully.)
const ALSO_NOT_PLAIN = [/^[-+]?0[oO][0-7_]+$/, /^[-+]?0[bB][01_]+$/, /^[-+]?0[xX][0-9a-fA-F_]+$/];

// go-yaml, which kubectl and istioctl print with, picks a string's style in two steps: a
// string that would read back as another type (true, 1.0, null, a timestamp) is written
// "double quoted"; any other string is written plain if YAML allows it, else 'single quoted'
// (so the JSON in sidecar.istio.io/status reads '{"containers":…}'); multi-line strings
// are literal blocks.
function quoteLikeGoYaml(doc: Document): void {
  const notStrings = [
    ...doc.schema.tags.flatMap((tag) => {
      const t = tag as { tag?: string; test?: RegExp };
      return t.tag !== 'tag:yaml.org,2002:str' && t.test instanceof RegExp ? [t.test] : [];
    }),
    ...ALSO_NOT_PLAIN,
  ];
  visit(doc, {
    Scalar(_key, node: Scalar) {
      if (typeof node.value !== 'string' || node.value.includes('\n')) return;
      const value = node.value;
      if (notStrings.some((re) => re.test(value))) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
}

/** Serializes one object as kubectl prints it: YAML 1.1 quoting, flush sequences, no folding. */
export function stringifyYaml(value: unknown): string {
  const doc = new Document(value, { version: '1.1' });
  quoteLikeGoYaml(doc);
  return doc.toString({ indentSeq: false, lineWidth: 0, singleQuote: true, blockQuote: 'literal' });
}

/** Joins serialized documents into one stream, each ending with `---` as kube-inject prints. */
export function joinYamlDocuments(documents: readonly string[]): string {
  return documents.map((doc) => `${doc.endsWith('\n') ? doc : `${doc}\n`}---\n`).join('');
}

/** Serializes objects into one stream in kube-inject's `doc\n---\n` convention. */
export function stringifyYamlDocuments(values: readonly unknown[]): string {
  return joinYamlDocuments(values.map(stringifyYaml));
}
