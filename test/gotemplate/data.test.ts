// The data model: fields of maps and objects, methods, missing keys, nil, and how Go
// values print.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCases, runErrorCases, render } from './table.js';

class Pod {
  constructor(
    readonly Name: string,
    readonly Labels: Record<string, string>,
  ) {}
  GetLabel(key: string): string {
    return this.Labels[key] ?? '';
  }
  String(): string {
    return `pod/${this.Name}`;
  }
}

runCases('fields', [
  { tmpl: '{{.a}}', data: { a: 'x' }, want: 'x' },
  { tmpl: '{{.a.b.c}}', data: { a: { b: { c: 'deep' } } }, want: 'deep' },
  { tmpl: '{{(.a).b}}', data: { a: { b: 'paren' } }, want: 'paren' },
  { tmpl: '{{(index .l 1).name}}', data: { l: [{ name: 'a' }, { name: 'b' }] }, want: 'b' },
  { name: 'keys with dashes via index', tmpl: '{{index .labels "app.kubernetes.io/name"}}', data: { labels: { 'app.kubernetes.io/name': 'web' } }, want: 'web' },
  { name: 'a missing key prints <no value>', tmpl: '{{.missing}}', data: {}, want: '<no value>' },
  { name: 'a field of a missing key is also no value', tmpl: '{{.a.b.c}}', data: {}, want: '<no value>' },
  { name: 'a nil map value prints <no value>', tmpl: '{{.a}}', data: { a: null }, want: '<no value>' },
  { name: 'undefined properties are missing', tmpl: '{{.a}}', data: { a: undefined }, want: '<no value>' },
  { name: 'nil root data', tmpl: '{{.}} {{.x}}', data: null, want: '<no value> <no value>' },
  { name: 'missing value as a function argument is nil', tmpl: '{{print .missing}}', data: {}, want: '<nil>' },
  { name: 'JS Map works as a Go map', tmpl: '{{.m.b}} {{range $k, $v := .m}}{{$k}}{{$v}}{{end}}', data: { m: new Map([['b', 2], ['a', 1]]) }, want: '2 a1b2' },
]);

runCases('methods', [
  { tmpl: '{{.pod.Name}}', data: { pod: new Pod('web-1', {}) }, want: 'web-1' },
  { tmpl: '{{.pod.GetLabel "app"}}', data: { pod: new Pod('p', { app: 'web' }) }, want: 'web' },
  { tmpl: '{{"app" | .pod.GetLabel}}', data: { pod: new Pod('p', { app: 'piped' }) }, want: 'piped' },
  { name: 'String() is used when printing', tmpl: '{{.pod}}', data: { pod: new Pod('p', {}) }, want: 'pod/p' },
  { name: 'a function-valued map entry is called like a method', tmpl: '{{.obj.GetValue}} {{.obj.Add 2 3}}', data: { obj: { GetValue: () => 'v', Add: (a: number, b: number) => a + b } }, want: 'v 5' },
  { name: 'method result chains', tmpl: '{{.obj.Get.inner}}', data: { obj: { Get: () => ({ inner: 'i' }) } }, want: 'i' },
  { name: 'call invokes a function value', tmpl: '{{call (index . "f") 2 3}}', data: { f: (a: number, b: number) => a * b }, want: '6' },
]);

runCases('printing Go values', [
  { tmpl: '{{.}}', data: [1, 'a', true, null], want: '[1 a true <nil>]' },
  { tmpl: '{{.}}', data: { b: [1, 2], a: { y: 1, x: 'z' } }, want: 'map[a:map[x:z y:1] b:[1 2]]' },
  { tmpl: '{{.}}', data: [], want: '[]' },
  { tmpl: '{{.}}', data: {}, want: 'map[]' },
  { name: 'integers print without decimals', tmpl: '{{.a}} {{.b}} {{.c}}', data: { a: 15001, b: -3, c: 1000000 }, want: '15001 -3 1000000' },
  { name: 'floats use the shortest %g form', tmpl: '{{.a}} {{.b}} {{.c}} {{.d}} {{.e}}', data: { a: 3.14, b: 0.1, c: 1234567.5, d: 0.00001234, e: 1e21 + 0.5 }, want: '3.14 0.1 1.2345675e+06 1.234e-05 1e+21' },
  { tmpl: '{{.}}', data: [Infinity, -Infinity, NaN], want: '[+Inf -Inf NaN]' },
  { tmpl: '{{.}}', data: 9007199254740993n, want: '9007199254740993' },
  { tmpl: '{{true}} {{.}}', data: false, want: 'true false' },
  { name: 'struct-like objects print their fields', tmpl: '{{.}}', data: new (class P { a = 1; b = 'x'; })(), want: '{1 x}' },
]);

test('execution errors never return partial output', () => {
  assert.throws(() => render('partial {{.a.b}}', { a: null }), /nil pointer/);
});

runErrorCases('field errors', [
  {
    name: 'nil pointer with line and column',
    tmpl: 'line1\n  {{.A.B}}',
    data: { A: null },
    err: 'template: t:2:6: executing "t" at <.A.B>: nil pointer evaluating interface {}.B',
  },
  { tmpl: '{{.A.B}}', data: { A: null }, err: 'template: t:1:4: executing "t" at <.A.B>: nil pointer evaluating interface {}.B' },
  { tmpl: '{{range .}}{{.x}}{{end}}', data: [null], err: 'template: t:1:13: executing "t" at <.x>: nil pointer evaluating interface {}.x' },
  { tmpl: '{{.a.b}}', data: { a: 'str' }, err: 'template: t:1:4: executing "t" at <.a.b>: can\'t evaluate field b in type interface {}' },
  { tmpl: '{{.b}}', data: 'str', err: 'template: t:1:2: executing "t" at <.b>: can\'t evaluate field b in type string' },
  { tmpl: '{{with .a}}{{.b}}{{end}}', data: { a: [1] }, err: /can't evaluate field b in type \[\]interface \{\}$/ },
  { tmpl: '{{with .a}}{{.b}}{{end}}', data: { a: 5 }, err: /can't evaluate field b in type int$/ },
  { tmpl: '{{.pod.Nope}}', data: { pod: new Pod('p', {}) }, err: /can't evaluate field Nope in type interface \{\}$/ },
  { tmpl: '{{.a 1}}', data: { a: 'x' }, err: 'template: t:1:2: executing "t" at <.a>: a is not a method but has arguments' },
  { tmpl: '{{.f}}', data: { f: () => { throw new Error('boom'); } }, err: 'template: t:1:2: executing "t" at <.f>: error calling f: boom' },
  { tmpl: '{{"x" 1}}', err: 'template: t:1:2: executing "t" at <"x">: can\'t give argument to non-function "x"' },
  { tmpl: '{{$x := 1}}{{$x 2}}', err: /can't give argument to non-function \$x$/ },
  { tmpl: '{{nil}}', err: 'template: t:1:2: executing "t" at <nil>: nil is not a command' },
  { tmpl: '{{(nil).a}}', err: 'template: t:1:3: executing "t" at <nil>: nil is not a command' },
  { tmpl: '{{.}}', data: () => 1, err: /can't print \{\{\.\}\} of type func/ },
]);

runErrorCases('missingkey=error', [
  { tmpl: '{{.nope}}', data: {}, err: 'template: t:1:2: executing "t" at <.nope>: map has no entry for key "nope"' },
], { missingKey: 'error' });

runErrorCases('missingkey=zero (Helm)', [
  { tmpl: '{{.a.b}}', data: {}, err: 'template: t:1:4: executing "t" at <.a.b>: nil pointer evaluating interface {}.b' },
], { missingKey: 'zero' });

test('missingkey=zero still prints <no value> for a missing key', () => {
  assert.equal(render('{{.a}}', {}, { missingKey: 'zero' }), '<no value>');
});

test('a throwing getter in the data becomes a positioned template error', () => {
  const obj = new (class Holder {
    get bad(): string {
      throw new Error('getter failed');
    }
  })();
  assert.throws(() => render('x\n{{.o.bad}}', { o: obj }), {
    message: 'template: t:2:4: executing "t" at <.o.bad>: getter failed',
  });
});

runErrorCases('errors inside called templates', [
  {
    name: 'location is in the parsed text, the name is the executing template',
    tmpl: '{{define "inner"}}{{.a.b}}{{end}}{{template "inner" .}}',
    data: { a: null },
    err: 'template: t:1:22: executing "inner" at <.a.b>: nil pointer evaluating interface {}.b',
  },
]);
