import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Template } from '../../src/gotemplate/index.js';

test('parse once, execute many times', () => {
  const t = Template.parse('t', 'hello {{.name}}!');
  assert.equal(t.execute({ name: 'world' }), 'hello world!');
  assert.equal(t.execute({ name: 'again' }), 'hello again!');
});
