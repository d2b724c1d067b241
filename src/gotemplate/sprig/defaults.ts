// sprig's defaults and flow functions, the reflection helpers, and Helm's `required`,
// which Istio-style templates use alongside sprig.
import { randomUUID } from 'node:crypto';
import { FuncError } from '../errors.js';
import { goFunc, type FuncMap } from '../funcs.js';
import { goTypeName } from '../values.js';
import { deepEqual, empty, reflectKind } from './convert.js';

export const defaultFuncs: FuncMap = {
  default: goFunc(['any'], (d: unknown, ...given: unknown[]) => (given.length === 0 || empty(given[0]) ? d : given[0]), 'any'),
  empty: goFunc(['any'], empty),
  coalesce: goFunc([], (...v: unknown[]) => v.find((x) => !empty(x)) ?? null, 'any'),
  all: goFunc([], (...v: unknown[]) => v.every((x) => !empty(x)), 'any'),
  any: goFunc([], (...v: unknown[]) => v.some((x) => !empty(x)), 'any'),
  ternary: goFunc(['any', 'any', 'bool'], (vt: unknown, vf: unknown, cond: boolean) => (cond ? vt : vf)),
  required: goFunc(['string', 'any'], (msg: string, v: unknown) => {
    if (v === null || v === undefined || v === '') throw new FuncError(msg);
    return v;
  }),
  fail: goFunc(['string'], (msg: string) => {
    throw new FuncError(msg);
  }),
  typeOf: goFunc(['any'], (v: unknown) => goTypeName(v)),
  typeIs: goFunc(['string', 'any'], (t: string, v: unknown) => t === goTypeName(v)),
  typeIsLike: goFunc(['string', 'any'], (t: string, v: unknown) => t === goTypeName(v) || '*' + t === goTypeName(v)),
  kindOf: goFunc(['any'], reflectKind),
  kindIs: goFunc(['string', 'any'], (k: string, v: unknown) => k === reflectKind(v)),
  deepEqual: goFunc(['any', 'any'], deepEqual),
  uuidv4: goFunc([], () => randomUUID()),
};
