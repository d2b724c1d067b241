// The public API: namespaces of templates, adding functions, and what a TemplateError carries.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Template, TemplateError, goFunc, builtinFuncs } from '../../src/gotemplate/index.js';

test('execution errors carry template name, line and column', () => {
  try {
    Template.parse('inject', 'a\nbb {{ .A.B }}').execute({ A: null });
    assert.fail('should throw');
  } catch (e) {
    assert.ok(e instanceof TemplateError);
    assert.equal(e.phase, 'exec');
    assert.equal(e.templateName, 'inject');
    assert.equal(e.line, 2);
    assert.equal(e.column, 8);
  }
});

test('templates added later share the namespace and functions', () => {
  const t = Template.parse('main', '{{template "part" .}}', { funcs: { twice: (s: string) => s + s } });
  t.addTemplate('part', '{{twice .}}');
  assert.equal(t.execute('ab'), 'abab');
  // A later definition replaces an earlier one, as Go's AddParseTree does.
  t.addTemplate('part', '[{{.}}]');
  assert.equal(t.execute('ab'), '[ab]');
});

test('funcs() adds functions for later parses', () => {
  const t = Template.parse('main', 'x');
  assert.throws(() => t.addTemplate('p', '{{shout "a"}}'), { message: 'template: p:1: function "shout" not defined' });
  t.funcs({ shout: (s: string) => s.toUpperCase() });
  assert.equal(t.addTemplate('p', '{{shout "a"}}').execute(null), 'A');
});

test('goFunc gives a function Go argument checks', () => {
  const repeat = goFunc(['int', 'string'], (n: number, s: string) => s.repeat(n));
  const t = (text: string) => Template.parse('t', text, { funcs: { repeat } });
  assert.equal(t('{{repeat 2 "ab"}}').execute(null), 'abab');
  assert.throws(() => t('{{repeat 2}}').execute(null), { message: 'template: t:1:2: executing "t" at <repeat>: wrong number of args for repeat: want 2 got 1' });
  assert.throws(() => t('{{repeat .s "x"}}').execute({ s: 'no' }), { message: 'template: t:1:9: executing "t" at <.s>: wrong type for value; expected int; got string' });
});

test('plain functions receive undefined for no value and null for nil', () => {
  const seen: unknown[] = [];
  const probe = (...args: unknown[]) => {
    seen.push(...args);
    return 'ok';
  };
  Template.parse('t', '{{probe .missing .nil nil}}', { funcs: { probe } }).execute({ nil: null });
  assert.deepEqual(seen, [undefined, null, null]);
});

test('builtins are listed for callers that want to wrap them', () => {
  assert.deepEqual(Object.keys(builtinFuncs).sort(), ['and', 'call', 'eq', 'ge', 'gt', 'html', 'index', 'js', 'le', 'len', 'lt', 'ne', 'not', 'or', 'print', 'printf', 'println', 'slice', 'urlquery']);
});

test('a typed nil pointer (GO_NIL) is false to if/and/or/not, and its methods still answer', async () => {
  const { Template, GO_NIL } = await import('../../src/gotemplate/index.js');
  class NilWrapper {
    readonly [GO_NIL] = true;
    GetValue(): boolean {
      return false;
    }
  }
  const t = Template.parse('t', '{{ if .W }}set{{ else }}unset{{ end }} {{ .W.GetValue }} {{ not .W }} {{ or .W "fallback" }}');
  assert.equal(t.execute({ W: new NilWrapper() }), 'unset false true fallback');
});

test("a map declaring GO_MAP_ZERO reads missing keys as that zero (Go's map[string]string)", async () => {
  const { Template, GO_MAP_ZERO } = await import('../../src/gotemplate/index.js');
  const labels = Object.defineProperty({ app: 'web' }, GO_MAP_ZERO, { value: '' });
  const t = Template.parse('t', '[{{ index .L "app" }}][{{ index .L "x" }}][{{ .L.x }}][{{ index .M "x" }}] {{ len .L }}');
  assert.equal(t.execute({ L: labels, M: {} }), '[web][][][<no value>] 1');
});
