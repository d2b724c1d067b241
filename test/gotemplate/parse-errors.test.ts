// Parse errors carry the template name and line, worded as Go words them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Template, TemplateError } from '../../src/gotemplate/index.js';

const cases: Array<[string, string]> = [
  ['{{.x', 'template: t:1: unclosed action'],
  ['{{.x\n\n', 'template: t:3: unclosed action in action started at t:1'],
  ['{{if .x}}', 'template: t:1: unexpected EOF'],
  ['{{range .}}x', 'template: t:1: unexpected EOF'],
  ['{{end}}', 'template: t:1: unexpected {{end}}'],
  ['{{else}}', 'template: t:1: unexpected {{else}}'],
  ['{{foo}}', 'template: t:1: function "foo" not defined'],
  ['{{.x | foo}}', 'template: t:1: function "foo" not defined'],
  ['{{$x}}', 'template: t:1: undefined variable "$x"'],
  ['{{if true}}{{$x := 1}}{{end}}{{$x}}', 'template: t:1: undefined variable "$x"'],
  ['{{define "T"}}{{$y}}{{end}}', 'template: t:1: undefined variable "$y"'],
  ['{{if}}{{end}}', 'template: t:1: missing value for if'],
  ['{{range}}{{end}}', 'template: t:1: missing value for range'],
  ['{{with}}{{end}}', 'template: t:1: missing value for with'],
  ['{{break}}', 'template: t:1: {{break}} outside {{range}}'],
  ['{{if true}}{{continue}}{{end}}', 'template: t:1: {{continue}} outside {{range}}'],
  ['{{"x" | 3}}', 'template: t:1: non executable command in pipeline stage 2'],
  ['{{(1}}', 'template: t:1: unclosed left paren'],
  ['{{1)}}', 'template: t:1: unexpected ")" in command'],
  ['{{"abc}}', 'template: t:1: unterminated quoted string'],
  ['{{`abc}}', 'template: t:1: unterminated raw quoted string'],
  ["{{'ab}}", 'template: t:1: unterminated character constant'],
  ['{{/* x }}', 'template: t:1: unclosed comment'],
  ['{{/* x */ .y}}', 'template: t:1: comment ends before closing delimiter'],
  ['{{template .}}', 'template: t:1: unexpected <.> in template clause'],
  ['{{template .x}}', 'template: t:1: unexpected ".x" in template clause'],
  ['{{define "x"}}', 'template: t:1: unexpected EOF'],
  ['{{if .x}}{{else}}{{else}}{{end}}', 'template: t:1: expected end; found {{else}}'],
  ['{{range $i, $j, $k := .}}{{end}}', 'template: t:1: too many declarations in range'],
  ['{{with $x, $y := .}}{{end}}', 'template: t:1: too many declarations in with'],
  ['{{@}}', 'template: t:1: unexpected "@" in command'],
  ['{{.x!}}', "template: t:1: bad character U+0021 '!'"],
  ['{{3x}}', 'template: t:1: bad number syntax: "3x"'],
  ['{{nil.x}}', 'template: t:1: unexpected . after term "nil"'],
  ['{{"a".x}}', 'template: t:1: unexpected . after term "\\"a\\""'],
  ['{{define "a"}}x{{end}}{{define "a"}}y{{end}}', 'template: t:1: template: multiple definition of template "a"'],
  ['line1\nline2\n{{if}}', 'template: t:3: missing value for if'],
  ['{{if .a}}\n{{else}}\n{{end}}\n{{end}}', 'template: t:4: unexpected {{end}}'],
  ['{{ .x := 1 }}', 'template: t:1: unexpected ":=" in operand'],
  ['{{ $x := 0 }}{{ $x : 1 }}', 'template: t:1: expected :='],
  ['{{"\\q"}}', 'template: t:1: invalid syntax'],
  ['{{99999999999999999999}}', 'template: t:1: 99999999999999999999 overflows int'],
];

for (const [tmpl, message] of cases) {
  test(`parse error: ${JSON.stringify(tmpl)}`, () => {
    assert.throws(
      () => Template.parse('t', tmpl),
      (e: unknown) => {
        assert.ok(e instanceof TemplateError);
        assert.equal(e.message, message);
        assert.equal(e.phase, 'parse');
        assert.equal(e.templateName, 't');
        return true;
      },
    );
  });
}

test('redefining an empty template is allowed', () => {
  const t = Template.parse('t', '{{define "a"}}{{end}}{{define "a"}}full{{end}}{{template "a"}}');
  assert.equal(t.execute(null), 'full');
});

test('funcs given at parse time satisfy the function check', () => {
  assert.equal(Template.parse('t', '{{shout "x"}}', { funcs: { shout: (s: string) => s.toUpperCase() + '!' } }).execute(null), 'X!');
});
