// Control structures: if/else if, with/else with, range (lists, maps, integers, break,
// continue, else), define/template/block, and variable scoping.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Template } from '../../src/gotemplate/index.js';
import { runCases, runErrorCases } from './table.js';

runCases('if', [
  { tmpl: '{{if true}}yes{{end}}', want: 'yes' },
  { tmpl: '{{if false}}yes{{else}}no{{end}}', want: 'no' },
  { tmpl: '{{if .a}}a{{else if .b}}b{{else}}none{{end}}', data: { b: 1 }, want: 'b' },
  { tmpl: '{{if .a}}a{{else if .b}}b{{else if .c}}c{{else}}none{{end}}', data: {}, want: 'none' },
  { name: 'truthiness: zero values are false', tmpl: '{{range .}}{{if .}}T{{else}}F{{end}}{{end}}', data: [0, 1, '', 'x', [], [0], {}, { a: 1 }, false, true, null, 0.5, -1], want: 'FTFTFTFTFTFTT' },
  { name: 'missing key is false', tmpl: '{{if .missing}}T{{else}}F{{end}}', data: {}, want: 'F' },
  { name: 'variables declared in the condition are visible in else', tmpl: '{{if $x := .a}}{{$x}}{{else}}else:{{$x}}{{end}}', data: { a: 0 }, want: 'else:0' },
]);

runCases('with', [
  { tmpl: '{{with .a}}{{.b}}{{end}}', data: { a: { b: 'inner' } }, want: 'inner' },
  { tmpl: '{{with .a}}{{.}}{{else}}empty{{end}}', data: { a: '' }, want: 'empty' },
  { tmpl: '{{with .a}}a{{else with .b}}{{.}}{{else}}none{{end}}', data: { b: 'bee' }, want: 'bee' },
  { tmpl: '{{with $x := .a}}{{$x}}{{.}}{{end}}', data: { a: 7 }, want: '77' },
  { name: 'else keeps the outer dot', tmpl: '{{with .a}}x{{else}}{{.b}}{{end}}', data: { b: 'outer' }, want: 'outer' },
]);

runCases('range', [
  { tmpl: '{{range .}}[{{.}}]{{end}}', data: ['a', 'b', 'c'], want: '[a][b][c]' },
  { tmpl: '{{range $i, $v := .}}{{$i}}={{$v}} {{end}}', data: ['a', 'b'], want: '0=a 1=b ' },
  { tmpl: '{{range $v := .}}{{$v}}{{end}}', data: ['a', 'b'], want: 'ab' },
  { name: 'maps in sorted key order', tmpl: '{{range $k, $v := .}}{{$k}}={{$v}};{{end}}', data: { b: 2, c: 3, a: 1 }, want: 'a=1;b=2;c=3;' },
  { name: 'map values as dot', tmpl: '{{range .}}{{.}}{{end}}', data: { z: 1, y: 2 }, want: '21' },
  { tmpl: '{{range .}}x{{else}}empty{{end}}', data: [], want: 'empty' },
  { tmpl: '{{range .}}x{{else}}empty{{end}}', data: {}, want: 'empty' },
  { name: 'range over a missing value runs else', tmpl: '{{range .nope}}x{{else}}none{{end}}', data: {}, want: 'none' },
  { name: 'range over an integer (Go 1.22)', tmpl: '{{range 5}}{{.}}{{end}}', want: '01234' },
  { tmpl: '{{range $i := 3}}<{{$i}}>{{end}}', want: '<0><1><2>' },
  { tmpl: '{{range 0}}x{{else}}zero{{end}}', want: 'zero' },
  { tmpl: '{{range .n}}{{.}}{{end}}', data: { n: 3 }, want: '012' },
  { tmpl: '{{range .}}{{if eq . 3}}{{break}}{{end}}{{.}}{{end}}', data: [1, 2, 3, 4], want: '12' },
  { tmpl: '{{range .}}{{if eq . 2}}{{continue}}{{end}}{{.}}{{end}}', data: [1, 2, 3], want: '13' },
  { name: 'break only leaves the innermost range', tmpl: '{{range .}}{{range .}}{{if eq . 2}}{{break}}{{end}}{{.}}{{end}};{{end}}', data: [[1, 2, 3], [4, 2]], want: '1;4;' },
  { name: 'dot is restored after range', tmpl: '{{range .l}}{{.}}{{end}}{{.x}}', data: { l: [1], x: 'after' }, want: '1after' },
  { name: '$ is the root inside range', tmpl: '{{range .l}}{{$.p}}{{.}} {{end}}', data: { l: [1, 2], p: '#' }, want: '#1 #2 ' },
  { name: 'assignment form', tmpl: '{{$i := 0}}{{$v := 0}}{{range $i, $v = .}}{{end}}{{$i}}{{$v}}', data: ['a', 'b'], want: '1b' },
  { name: 'nested lists print Go style', tmpl: '{{range .}}{{.}} {{end}}', data: [[1, 2], { a: 'b' }], want: '[1 2] map[a:b] ' },
]);

runCases('variables', [
  { tmpl: '{{$x := 1}}{{$x}}', want: '1' },
  { tmpl: '{{$x := 1}}{{$x = 2}}{{$x}}', want: '2' },
  { name: 'a declaring action prints nothing', tmpl: '{{$x := "hidden"}}', want: '' },
  { name: 'inner declaration ends at end', tmpl: '{{$x := "outer"}}{{if true}}{{$x := "inner"}}{{$x}}{{end}} {{$x}}', want: 'inner outer' },
  { name: 'assignment reaches the outer variable', tmpl: '{{$x := "outer"}}{{if true}}{{$x = "changed"}}{{end}}{{$x}}', want: 'changed' },
  { name: 'assignment inside range persists', tmpl: '{{$last := ""}}{{range .}}{{$last = .}}{{end}}{{$last}}', data: ['a', 'b'], want: 'b' },
  { tmpl: '{{$}}', data: 'root', want: 'root' },
  { tmpl: '{{with .a}}{{$.b}}{{end}}', data: { a: 1, b: 'root-b' }, want: 'root-b' },
  { tmpl: '{{$m := .}}{{$m.a.b}}', data: { a: { b: 'deep' } }, want: 'deep' },
  { name: 'variable in a pipeline', tmpl: '{{$s := "x"}}{{$s | printf "%s-%s" "a"}}', want: 'a-x' },
]);

runCases('define, template, block', [
  { tmpl: '{{define "T"}}hello {{.}}{{end}}{{template "T" "world"}}', want: 'hello world' },
  { name: 'no pipeline passes no value', tmpl: '{{define "T"}}[{{.}}]{{end}}{{template "T"}}', data: 'ignored', want: '[<no value>]' },
  { name: 'template with a pipeline argument', tmpl: '{{define "T"}}{{.a}}-{{.b}}{{end}}{{template "T" dict "a" 1 "b" (print 2 3)}}', want: '1-2 3' },
  { name: 'nested templates', tmpl: '{{define "A"}}A({{template "B" .}}){{end}}{{define "B"}}B{{.}}{{end}}{{template "A" 1}}', want: 'A(B1)' },
  { name: 'templates do not see the caller variables; $ is their dot', tmpl: '{{define "T"}}{{$}}{{end}}{{$x := 1}}{{template "T" "arg"}}', want: 'arg' },
  { name: 'recursion', tmpl: '{{define "R"}}{{.n}}{{if .next}},{{template "R" .next}}{{end}}{{end}}{{template "R" .}}', data: { n: 1, next: { n: 2, next: { n: 3 } } }, want: '1,2,3' },
  { tmpl: '{{block "B" .}}default {{.}}{{end}}', data: 'x', want: 'default x' },
  { name: 'define may come after use', tmpl: '{{template "late" .}}{{define "late"}}late {{.}}{{end}}', data: 1, want: 'late 1' },
  { name: 'defines with trim markers', tmpl: '{{- define "T" -}}\n  t\n{{- end -}}\n[{{template "T"}}]', want: '[t]' },
], { funcs: { dict: (...kv: unknown[]) => Object.fromEntries(Array.from({ length: kv.length / 2 }, (_, i) => [kv[2 * i], kv[2 * i + 1]])) } });

test('block can be overridden by a later definition', () => {
  const t = Template.parse('page', '<{{block "content" .}}default{{end}}>');
  assert.equal(t.execute(null), '<default>');
  t.addTemplate('override', '{{define "content"}}custom {{.}}{{end}}');
  assert.equal(t.execute('x'), '<custom x>');
});

test('executeTemplate and lookup', () => {
  const t = Template.parse('root', '{{define "a"}}A{{.}}{{end}}{{define "b"}}B{{end}}root');
  assert.equal(t.executeTemplate('a', 1), 'A1');
  assert.equal(t.lookup('b')?.execute(null), 'B');
  assert.equal(t.lookup('nope'), undefined);
  assert.deepEqual(t.templateNames().sort(), ['a', 'b', 'root']);
  assert.throws(() => t.executeTemplate('zzz', null), { message: 'template: no template "zzz" associated with template "root"' });
});

runErrorCases('control errors', [
  { tmpl: '{{range 2.5}}{{end}}', err: 'template: t:1:8: executing "t" at <{{range 2.5}}{{end}}>: range can\'t iterate over 2.5' },
  { tmpl: '{{range $i, $v := 3}}{{end}}', err: /can't use 3 to iterate over more than one variable$/ },
  { tmpl: '{{range .}}{{end}}', data: 'str', err: /range can't iterate over str$/ },
  { tmpl: '{{template "missing"}}', err: 'template: t:1:11: executing "t" at <{{template "missing"...>: template "missing" not defined' },
  { tmpl: '{{define "T"}}{{template "T" .}}{{end}}{{template "T" 1}}', err: /exceeded maximum template depth/ },
]);
