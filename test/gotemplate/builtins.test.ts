// The builtin functions: logic with short-circuit, comparisons, len/index/slice, printing,
// escaping, call, and overriding builtins with funcs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCases, runErrorCases, render } from './table.js';

let calls = 0;
const funcs = {
  boom: (): never => {
    throw new Error('boom was called');
  },
  count: (): boolean => {
    calls++;
    return true;
  },
};

runCases(
  'and / or / not',
  [
    { tmpl: '{{and 1 2}} {{and 1 0}} {{and "" 1}}', want: '2 0 ' },
    { tmpl: '{{or 0 2}} {{or 0 ""}} {{or "a" "b"}}', want: '2  a' },
    { name: 'and returns the deciding operand', tmpl: '{{and .a .b}}', data: { a: [1], b: { x: 1 } }, want: 'map[x:1]' },
    { name: 'and stops at the first false operand', tmpl: '{{and false boom}}', want: 'false' },
    { name: 'or stops at the first true operand', tmpl: '{{or true boom}}', want: 'true' },
    { name: 'short-circuit skips a failing field', tmpl: '{{and .nothing .nothing.deeper.x}}', data: { nothing: null }, want: '<no value>' },
    { tmpl: '{{not 0}} {{not 1}} {{not ""}} {{not .m}}', data: { m: {} }, want: 'true false true true' },
    { name: 'piped final operand', tmpl: '{{1 | and true}} {{0 | or false}}', want: '1 0' },
    { tmpl: '{{if and .a (not .b)}}yes{{end}}', data: { a: 1, b: 0 }, want: 'yes' },
  ],
  { funcs },
);

test('or evaluates nothing after the first true operand', () => {
  calls = 0;
  render('{{or 1 count count}}{{and 0 count}}', null, { funcs });
  assert.equal(calls, 0);
  render('{{or 0 count count}}', null, { funcs });
  assert.equal(calls, 1);
});

runCases('comparisons', [
  { tmpl: '{{eq 1 1}} {{eq 1 2}} {{eq "a" "a"}} {{eq true false}}', want: 'true false true false' },
  { name: 'eq with several operands is "equals any"', tmpl: '{{eq .x "a" "b" "c"}} {{eq .x "y" "z"}}', data: { x: 'c' }, want: 'true false' },
  { tmpl: '{{ne 1 2}} {{ne "a" "a"}}', want: 'true false' },
  { tmpl: '{{lt 1 2}} {{le 2 2}} {{gt 3 2}} {{ge 1 2}}', want: 'true true true false' },
  { tmpl: '{{lt "a" "b"}} {{gt "b" "a"}} {{lt "B" "a"}}', want: 'true true true' },
  { name: 'ints and floats compare as numbers', tmpl: '{{lt 1 1.5}} {{eq .n 2}} {{gt 2.5 2}}', data: { n: 2 }, want: 'true true true' },
  { name: 'nil equals nil and nothing else', tmpl: '{{eq .missing nil}} {{eq .missing "x"}} {{eq nil 0}}', data: {}, want: 'true false false' },
  { tmpl: '{{if eq .kind "Deployment" "StatefulSet"}}workload{{end}}', data: { kind: 'StatefulSet' }, want: 'workload' },
]);

runCases('len, index, slice', [
  { tmpl: '{{len "héllo"}} {{len .l}} {{len .m}}', data: { l: [1, 2, 3], m: { a: 1 } }, want: '6 3 1' },
  { tmpl: '{{index .l 1}} {{index .m "k"}} {{index .n "a" 1}}', data: { l: ['x', 'y'], m: { k: 'v' }, n: { a: [0, 'deep'] } }, want: 'y v deep' },
  { name: 'index of a missing map key is no value', tmpl: '{{index .m "nope"}}', data: { m: {} }, want: '<no value>' },
  { name: 'index of a string is a byte', tmpl: '{{index "abc" 1}}', want: '98' },
  { name: 'index with no indices returns the item', tmpl: '{{index .l}}', data: { l: [1] }, want: '[1]' },
  { tmpl: '{{slice .l 1}} {{slice .l 1 2}} {{slice .l}} {{slice "hello" 1 3}}', data: { l: [1, 2, 3] }, want: '[2 3] [2] [1 2 3] el' },
]);

runCases('print, printf, println', [
  { name: 'print adds spaces between operands when neither is a string', tmpl: '{{print 1 2 "a" "b" 3 true}}', want: '1 2ab3 true' },
  { tmpl: '{{println 1 "a" 2}}', want: '1 a 2\n' },
  { tmpl: '{{printf "%s=%d" "k" 5}}', want: 'k=5' },
  { tmpl: '{{"x" | printf "%s-%s" "a"}}', want: 'a-x' },
  { tmpl: '{{print}}', want: '' },
]);

runCases('html, js, urlquery', [
  { tmpl: `{{html "<a href='x'>&\\"</a>"}}`, want: '&lt;a href=&#39;x&#39;&gt;&amp;&#34;&lt;/a&gt;' },
  { tmpl: `{{js "it's \\"q\\" <b> & a=b\\n"}}`, want: "it\\'s \\\"q\\\" \\u003Cb\\u003E \\u0026 a\\u003Db\\u000A" },
  { tmpl: '{{urlquery "a b&c=d/é"}}', want: 'a+b%26c%3Dd%2F%C3%A9' },
  { tmpl: '{{html 1 2}}', want: '1 2' },
  { tmpl: '{{html .missing}}', data: {}, want: '&lt;no value&gt;' },
]);

runCases('funcs override builtins', [{ tmpl: '{{len "abc"}} {{and 1 2}}', want: 'custom-len and-called' }], {
  funcs: { len: () => 'custom-len', and: () => 'and-called' },
});

runErrorCases('builtin errors', [
  { tmpl: '{{eq 1 "a"}}', err: 'template: t:1:2: executing "t" at <eq 1 "a">: error calling eq: incompatible types for comparison' },
  { tmpl: '{{eq 1}}', err: /error calling eq: missing argument for comparison$/ },
  { tmpl: '{{eq .l .l}}', data: { l: [1] }, err: /error calling eq: non-comparable type \[1\]: \[\]interface \{\}$/ },
  { tmpl: '{{lt true false}}', err: /error calling lt: invalid type for comparison$/ },
  { tmpl: '{{lt 1 "a"}}', err: /error calling lt: incompatible types for comparison$/ },
  { tmpl: '{{lt .missing 1}}', data: {}, err: /error calling lt: invalid type for comparison$/ },
  { tmpl: '{{not 1 2}}', err: 'template: t:1:2: executing "t" at <not>: wrong number of args for not: want 1 got 2' },
  { tmpl: '{{ne 1}}', err: /wrong number of args for ne: want 2 got 1$/ },
  { tmpl: '{{and}}', err: /wrong number of args for and: want at least 1 got 0$/ },
  { tmpl: '{{index .l 5}}', data: { l: [1] }, err: 'template: t:1:2: executing "t" at <index .l 5>: error calling index: index out of range: 5' },
  { tmpl: '{{index .l -1}}', data: { l: [1] }, err: /error calling index: index out of range: -1$/ },
  { tmpl: '{{index .l "a"}}', data: { l: [1] }, err: /error calling index: cannot index slice\/array with type string$/ },
  { tmpl: '{{index .m 1}}', data: { m: {} }, err: /error calling index: value has type int; should be string$/ },
  { tmpl: '{{index 5 1}}', err: /error calling index: can't index item of type int$/ },
  { tmpl: '{{index .missing 1}}', data: {}, err: /error calling index: index of untyped nil$/ },
  { tmpl: '{{len 3}}', err: /error calling len: len of type int$/ },
  { tmpl: '{{slice .l 2 1}}', data: { l: [1, 2, 3] }, err: /error calling slice: invalid slice index: 2 > 1$/ },
  { tmpl: '{{slice "abc" 1 2 3}}', err: /error calling slice: cannot 3-index slice a string$/ },
  { tmpl: '{{call .f}}', data: { f: 1 }, err: /error calling call: non-function of type int$/ },
  { tmpl: '{{call .missing}}', data: {}, err: /error calling call: call of nil$/ },
  { tmpl: '{{printf 1}}', err: 'template: t:1:9: executing "t" at <1>: expected string; found 1' },
  { tmpl: '{{printf .n}}', data: { n: 1 }, err: /at <\.n>: wrong type for value; expected string; got int$/ },
]);

runErrorCases('len of nothing', [
  { tmpl: '{{len .a}}', data: { a: null }, err: /error calling len: len of nil pointer$/ },
  { tmpl: '{{len .a}}', data: {}, err: /error calling len: reflect: call of reflect.Value.Type on zero Value$/ },
]);
