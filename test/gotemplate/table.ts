// Shared helpers for the table-driven template tests.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Template, TemplateError, type TemplateOptions } from '../../src/gotemplate/index.js';

export interface Case {
  name?: string;
  tmpl: string;
  data?: unknown;
  want: string;
}

export interface ErrorCase {
  name?: string;
  tmpl: string;
  data?: unknown;
  /** The whole Go-style message, or a RegExp for it. */
  err: string | RegExp;
}

export function render(tmpl: string, data?: unknown, options?: TemplateOptions): string {
  return Template.parse('t', tmpl, options).execute(data);
}

export function errorOf(tmpl: string, data?: unknown, options?: TemplateOptions): TemplateError {
  try {
    render(tmpl, data, options);
  } catch (e) {
    assert.ok(e instanceof TemplateError, `expected TemplateError, got ${String(e)}`);
    return e;
  }
  assert.fail(`expected ${JSON.stringify(tmpl)} to fail`);
}

export function runCases(title: string, cases: Case[], options?: TemplateOptions): void {
  for (const c of cases) {
    test(`${title}: ${c.name ?? c.tmpl}`, () => {
      assert.equal(render(c.tmpl, c.data, options), c.want);
    });
  }
}

export function runErrorCases(title: string, cases: ErrorCase[], options?: TemplateOptions): void {
  for (const c of cases) {
    test(`${title}: ${c.name ?? c.tmpl}`, () => {
      const e = errorOf(c.tmpl, c.data, options);
      if (typeof c.err === 'string') assert.equal(e.message, c.err);
      else assert.match(e.message, c.err);
    });
  }
}
