// Lexing and parsing: text, actions, trim markers, comments, literals, delimiters.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Template } from '../../src/gotemplate/index.js';
import { runCases, render } from './table.js';

runCases('text and actions', [
  { tmpl: '', want: '' },
  { tmpl: 'plain text', want: 'plain text' },
  { tmpl: 'a {{"b"}} c', want: 'a b c' },
  { tmpl: '{{ "spaces around" }}', want: 'spaces around' },
  { tmpl: '{{\n  "newlines inside an action"\n}}', want: 'newlines inside an action' },
  { tmpl: 'x{{/* a comment */}}y', want: 'xy' },
  { tmpl: 'x{{/* multi\nline\ncomment */}}y', want: 'xy' },
  { tmpl: '{ {not an action} }', want: '{ {not an action} }' },
  { name: 'delimiters inside strings are text', tmpl: '{{"}}"}}{{`{{`}}', want: '}}{{' },
  { name: 'line breaks between operands', tmpl: '{{print\n  1\n  2}}', want: '1 2' },
]);

runCases('trim markers', [
  { tmpl: 'a  {{- "b" -}}  c', want: 'abc' },
  { tmpl: 'a\n\t \n{{- "b" }}\n', want: 'ab\n' },
  { tmpl: 'a {{ "b" -}}\n\n  c', want: 'a bc' },
  { name: 'only the side with a marker is trimmed', tmpl: 'a {{- "b" }} c', want: 'ab c' },
  { name: 'comment with both markers', tmpl: 'a \n {{- /* c */ -}} \n b', want: 'ab' },
  { name: 'comment with left marker', tmpl: 'a \n {{- /* c */}} b', want: 'a b' },
  { name: 'minus without space is a number', tmpl: '{{-3}}', want: '-3' },
  { name: 'number then trim', tmpl: '{{ 3 -}} x', want: '3x' },
  {
    name: 'trimming around control structures keeps lines tidy',
    tmpl: 'list:\n{{- range .}}\n- {{.}}\n{{- end}}\n',
    data: ['a', 'b'],
    want: 'list:\n- a\n- b\n',
  },
  { name: 'trim all whitespace kinds', tmpl: 'x \r\n\t{{- 1 -}} \r\n\ty', want: 'x1y' },
]);

runCases('literals', [
  { tmpl: '{{"a\\tb\\n\\"q\\" \\u00e9 \\x41 \\101"}}', want: 'a\tb\n"q" é A A' },
  { tmpl: '{{`raw \\n string`}}', want: 'raw \\n string' },
  { tmpl: '{{`multi\nline`}}', want: 'multi\nline' },
  { tmpl: "{{'a'}} {{'\\n'}} {{'é'}}", want: '97 10 233' },
  { tmpl: '{{42}} {{-7}} {{+7}} {{0x1F}} {{0o17}} {{017}} {{0b101}} {{1_000}}', want: '42 -7 7 31 15 15 5 1000' },
  { tmpl: '{{1.5}} {{1e3}} {{.25}} {{2.5e-5}} {{1.25e-7}} {{0x1p4}}', want: '1.5 1000 0.25 2.5e-05 1.25e-07 16' },
  { tmpl: '{{true}} {{false}}', want: 'true false' },
  { tmpl: '{{print nil}}', want: '<nil>' },
]);

runCases('custom delimiters', [{ tmpl: '<<.a>> {{.a}} [[not]] <<- " x " ->>', data: { a: 1 }, want: '1 {{.a}} [[not]] x ' }], {
  leftDelim: '<<',
  rightDelim: '>>',
});

test('custom delimiters with comments and trim', () => {
  const out = render('a [[- /* c */ -]] b [[ .x ]]', { x: 2 }, { leftDelim: '[[', rightDelim: ']]' });
  assert.equal(out, 'ab 2');
});

test('a template is parsed once and executed many times', () => {
  const t = Template.parse('t', 'hello {{.name}}!');
  assert.equal(t.execute({ name: 'world' }), 'hello world!');
  assert.equal(t.execute({ name: 'again' }), 'hello again!');
});
