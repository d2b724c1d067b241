import { test } from 'node:test';
import assert from 'node:assert/strict';
import { documentLabel, joinYamlDocuments, parseYamlDocuments, stringifyYaml, stringifyYamlDocuments, YamlDocumentError } from '../../src/kube/index.js';

// Strings a YAML 1.1 reader (kubectl's go-yaml) would not read back as strings.
const mustQuote = ['on', 'off', 'yes', 'no', 'y', 'n', 'Y', 'true', 'False', 'null', '~', '', '1.0', '0755', '1e3', '123', '0x1F', '0o17', '12:30', '.5', '2020-01-01'];

for (const value of mustQuote) {
  test(`stringifyYaml quotes ${JSON.stringify(value)}`, () => {
    assert.equal(stringifyYaml({ value }), `value: ${JSON.stringify(value)}\n`);
  });
}

const plainCases: [unknown, string][] = [
  [{ value: 'istio-proxy' }, 'value: istio-proxy\n'],
  [{ value: 15001 }, 'value: 15001\n'],
  [{ value: true }, 'value: true\n'],
  [{ value: null }, 'value: null\n'],
  [{ value: {} }, 'value: {}\n'],
  [{ value: [] }, 'value: []\n'],
  [{ value: 'line one\nline two\n' }, 'value: |\n  line one\n  line two\n'],
  [{ value: 'no newline\nat end' }, 'value: |-\n  no newline\n  at end\n'],
  // Strings that are strings but cannot be plain get single quotes, as go-yaml prints them.
  [{ value: 'a: b' }, "value: 'a: b'\n"],
  [{ value: ' padded' }, "value: ' padded'\n"],
  [{ value: "it's" }, "value: it's\n"],
  [
    { 'sidecar.istio.io/status': '{"initContainers":["istio-init"],"containers":["istio-proxy"]}' },
    'sidecar.istio.io/status: \'{"initContainers":["istio-init"],"containers":["istio-proxy"]}\'\n',
  ],
  [{ on: 'x' }, '"on": x\n'],
];

for (const [input, expected] of plainCases) {
  test(`stringifyYaml ${JSON.stringify(input)}`, () => {
    assert.equal(stringifyYaml(input), expected);
  });
}

test('stringifyYaml: sequences flush with their key, keys in given order, no folding', () => {
  const long = 'x'.repeat(200);
  const pod = { kind: 'Pod', apiVersion: 'v1', spec: { containers: [{ name: 'app', args: ['--a', long] }] } };
  assert.equal(
    stringifyYaml(pod),
    ['kind: Pod', 'apiVersion: v1', 'spec:', '  containers:', '  - name: app', '    args:', '    - --a', `    - ${long}`, ''].join('\n'),
  );
});

test('joinYamlDocuments ends every document with ---', () => {
  assert.equal(joinYamlDocuments(['a: 1\n', 'b: 2']), 'a: 1\n---\nb: 2\n---\n');
  assert.equal(stringifyYamlDocuments([{ a: 1 }, { b: 'on' }]), 'a: 1\n---\nb: "on"\n---\n');
  assert.equal(joinYamlDocuments([]), '');
});

const stream = [
  '# leading comment', // 1
  '---', // 2
  'apiVersion: v1', // 3
  'kind: Service', // 4
  '---', // 5
  '', // 6
  '---', // 7
  '# a document of comments only', // 8
  '--- # marker with a comment', // 9
  'kind: Deployment', // 10
  'spec:', // 11
  '  replicas: 1', // 12
  '---', // 13
  'kind: Pod', // 14
  'metadata:', // 15
  '  annotations:', // 16
  '    enabled: yes', // 17
  '    mode: 0755', // 18
  '    created: 2020-01-01T00:00:00Z', // 19
  '    ports: 80:80', // 20
  '',
].join('\n');

test('parseYamlDocuments: skips empty documents, numbers the rest, keeps start lines', () => {
  const docs = parseYamlDocuments(stream);
  assert.deepEqual(
    docs.map((d) => [d.index, d.line, (d.value as { kind: string }).kind]),
    [
      [1, 3, 'Service'],
      [2, 10, 'Deployment'],
      [3, 14, 'Pod'],
    ],
  );
  assert.equal(documentLabel(docs[2]!), 'document 3 (line 14)');
});

test('parseYamlDocuments decodes as kubectl does: YAML 1.1 scalars, timestamps and a:b stay strings', () => {
  const pod = parseYamlDocuments(stream)[2]!.value as { metadata: { annotations: Record<string, unknown> } };
  assert.deepEqual(pod.metadata.annotations, { enabled: true, mode: 493, created: '2020-01-01T00:00:00Z', ports: '80:80' });
});

test('parseYamlDocuments with version 1.2', () => {
  const [doc] = parseYamlDocuments('a: yes\nb: 0755\n', { version: '1.2' });
  assert.deepEqual(doc!.value, { a: 'yes', b: 755 });
});

test('parseYamlDocuments handles CRLF and a marker carrying content', () => {
  const docs = parseYamlDocuments('a: 1\r\n---\r\nb: 2\r\n--- [1, 2]\r\n');
  assert.deepEqual(
    docs.map((d) => [d.line, d.value]),
    [
      [1, { a: 1 }],
      [3, { b: 2 }],
      [4, [1, 2]],
    ],
  );
});

test('parseYamlDocuments keeps directives with their document', () => {
  const docs = parseYamlDocuments('a: 1\n---\n%YAML 1.1\n---\nb: yes\n');
  assert.deepEqual(
    docs.map((d) => [d.index, d.line, d.value]),
    [
      [1, 1, { a: 1 }],
      [2, 3, { b: true }],
    ],
  );
});

test('parseYamlDocuments reads JSON documents, tab-indented ones too', () => {
  const docs = parseYamlDocuments('{\n\t"kind": "Pod",\n\t"metadata": {"name": "p"}\n}\n---\nkind: Service\n');
  assert.deepEqual(
    docs.map((d) => [d.index, d.line, d.value]),
    [
      [1, 1, { kind: 'Pod', metadata: { name: 'p' } }],
      [2, 6, { kind: 'Service' }],
    ],
  );
});

test('parseYamlDocuments: flow YAML that is not JSON still parses as YAML', () => {
  assert.deepEqual(parseYamlDocuments('{kind: Pod, spec: {hostNetwork: yes}}\n')[0]!.value, { kind: 'Pod', spec: { hostNetwork: true } });
});

const errorCases: { name: string; input: string; index: number; line: number; message: RegExp }[] = [
  { name: 'unclosed flow sequence in the third document', input: 'a: 1\n---\nb: 2\n---\n\nkind: Pod\nx: [1, 2\n---\nc: 3\n', index: 3, line: 7, message: /^document 3 \(line 7\): .*column 9/ },
  { name: 'unterminated quote does not swallow the next document', input: 'a: "open\n---\nb: 2\n', index: 1, line: 1, message: /^document 1 \(line 1\): Missing closing "quote/ },
  { name: 'duplicate key', input: '---\nkind: Pod\nkind: Service\n', index: 1, line: 3, message: /^document 1 \(line 3\): .*unique/ },
  { name: 'bad indentation', input: 'a: 1\n---\nspec:\n  a: 1\n   b: 2\n', index: 2, line: 4, message: /^document 2 \(line 4\): Nested mappings/ },
];

for (const c of errorCases) {
  test(`parseYamlDocuments error: ${c.name}`, () => {
    assert.throws(
      () => parseYamlDocuments(c.input),
      (err: unknown) => err instanceof YamlDocumentError && err.index === c.index && err.line === c.line && c.message.test(err.message),
    );
  });
}

test('round trip: parse → stringify → parse keeps the data, quoting what needs it', () => {
  const source = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'ratings', annotations: { 'sidecar.istio.io/inject': 'true', 'traffic.sidecar.istio.io/includeInboundPorts': '' } },
    spec: {
      template: {
        spec: {
          containers: [{ name: 'app', env: [{ name: 'DEBUG', value: 'on' }, { name: 'MODE', value: '0755' }, { name: 'V', value: '1.0' }], args: ['--x', 'y'] }],
        },
      },
    },
  };
  const text = stringifyYamlDocuments([source, { kind: 'Service' }]);
  const back = parseYamlDocuments(text).map((d) => d.value);
  assert.deepEqual(back, [source, { kind: 'Service' }]);
  assert.equal(stringifyYamlDocuments(back), text);
});
