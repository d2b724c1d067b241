// sprig's list functions. Lists are never modified in place: each function returns a new one.
import { FuncError } from '../errors.js';
import { goFunc, type FuncMap } from '../funcs.js';
import { deepEqual, empty, requireList } from './convert.js';

const inList = (list: unknown[], needle: unknown): boolean => list.some((x) => deepEqual(x, needle));

function untilStep(start: number, stop: number, step: number): number[] {
  const v: number[] = [];
  if (stop < start) {
    if (step >= 0) return v;
    for (let i = start; i > stop; i += step) v.push(i);
    return v;
  }
  if (step <= 0) return v;
  for (let i = start; i < stop; i += step) v.push(i);
  return v;
}

/** sprig's seq, like the shell's: seq END, seq START END, seq START STEP END. */
function seq(...params: number[]): string {
  let start = 1;
  let step = 1;
  let end: number;
  if (params.length === 0) return '';
  if (params.length === 1) end = params[0]!;
  else if (params.length === 2) {
    start = params[0]!;
    end = params[1]!;
    step = end < start ? -1 : 1;
  } else if (params.length === 3) {
    start = params[0]!;
    step = params[1]!;
    end = params[2]!;
    if ((end < start && step > 0) || (end > start && step < 0) || step === 0) return '';
  } else return '';
  if (params.length === 1 && end < start) step = -1;
  const out: number[] = [];
  if (step > 0) for (let i = start; i <= end; i += step) out.push(i);
  else for (let i = start; i >= end; i += step) out.push(i);
  return out.join(' ');
}

export const listFuncs: FuncMap = {
  list: goFunc([], (...v: unknown[]) => v, 'any'),
  append: goFunc(['any', 'any'], (l: unknown, v: unknown) => [...requireList(l, 'Cannot push on type'), v]),
  push: goFunc(['any', 'any'], (l: unknown, v: unknown) => [...requireList(l, 'Cannot push on type'), v]),
  prepend: goFunc(['any', 'any'], (l: unknown, v: unknown) => [v, ...requireList(l, 'Cannot prepend on type')]),
  first: goFunc(['any'], (l: unknown) => requireList(l, 'Cannot find first on type')[0] ?? null),
  last: goFunc(['any'], (l: unknown) => {
    const list = requireList(l, 'Cannot find last on type');
    return list.length === 0 ? null : list[list.length - 1];
  }),
  rest: goFunc(['any'], (l: unknown) => {
    const list = requireList(l, 'Cannot find rest on type');
    return list.length === 0 ? null : list.slice(1);
  }),
  initial: goFunc(['any'], (l: unknown) => {
    const list = requireList(l, 'Cannot find initial on type');
    return list.length === 0 ? null : list.slice(0, -1);
  }),
  reverse: goFunc(['any'], (l: unknown) => [...requireList(l, 'Cannot find reverse on type')].reverse()),
  has: goFunc(['any', 'any'], (needle: unknown, haystack: unknown) => {
    if (haystack === null || haystack === undefined) return false;
    return inList(requireList(haystack, 'Cannot find has on type'), needle);
  }),
  without: goFunc(
    ['any'],
    (l: unknown, ...omit: unknown[]) => requireList(l, 'Cannot find without on type').filter((x) => !inList(omit, x)),
    'any',
  ),
  uniq: goFunc(['any'], (l: unknown) => {
    const out: unknown[] = [];
    for (const x of requireList(l, 'Cannot find uniq on type')) if (!inList(out, x)) out.push(x);
    return out;
  }),
  compact: goFunc(['any'], (l: unknown) => requireList(l, 'Cannot compact on type').filter((x) => !empty(x))),
  concat: goFunc(
    [],
    (...lists: unknown[]) =>
      lists.flatMap((l) => {
        if (!Array.isArray(l)) throw new FuncError(`Cannot concat type ${l === null || l === undefined ? 'invalid' : typeof l} as list`);
        return l;
      }),
    'any',
  ),
  until: goFunc(['int'], (count: number) => untilStep(0, count, count < 0 ? -1 : 1)),
  untilStep: goFunc(['int', 'int', 'int'], untilStep),
  seq: goFunc([], seq, 'int'),
  chunk: goFunc(['int', 'any'], (size: number, l: unknown) => {
    const list = requireList(l, 'Cannot chunk type');
    const out: unknown[][] = [];
    if (size <= 0) return out;
    for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
    return out;
  }),
};
