// sprig's dictionary functions. Like sprig, set/unset/merge modify the dict they are given
// (templates rely on `$_ := set $d "k" v` to build values up).
import { FuncError } from '../errors.js';
import { goFunc, type FuncMap } from '../funcs.js';
import { isPlainObject } from '../values.js';
import { deepCopy, empty, requireDict, strval } from './convert.js';

type Dict = Record<string, unknown>;

function dict(...v: unknown[]): Dict {
  const out: Dict = {};
  for (let i = 0; i < v.length; i += 2) {
    const key = strval(v[i]);
    out[key] = i + 1 >= v.length ? '' : v[i + 1];
  }
  return out;
}

/**
 * mergo.Merge as sprig calls it: nested maps merge recursively; otherwise a key is filled
 * from src only when dst lacks it or holds an empty value (so false and 0 get replaced).
 * With overwrite (mergeOverwrite) src wins, nil included.
 */
function mergeInto(dst: Dict, src: Dict, overwrite: boolean): void {
  for (const key of Object.keys(src)) {
    const s = src[key];
    if (s === undefined) continue;
    const has = Object.prototype.hasOwnProperty.call(dst, key) && dst[key] !== undefined;
    const d = dst[key];
    if (s === null) {
      // mergo skips a nil source value unless overwriting.
      if (overwrite) dst[key] = null;
      continue;
    }
    if (isPlainObject(s) && isPlainObject(d)) {
      mergeInto(d, s, overwrite);
      continue;
    }
    if (overwrite || !has || empty(d)) dst[key] = s;
  }
}

function dig(...ps: unknown[]): unknown {
  if (ps.length < 3) throw new FuncError('dig needs at least three arguments');
  let cur = requireDict(ps[ps.length - 1]);
  const def = ps[ps.length - 2];
  const keys = ps.slice(0, -2).map((k) => {
    if (typeof k !== 'string') throw new FuncError(`interface conversion: interface {} is ${typeof k}, not string`);
    return k;
  });
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (!Object.prototype.hasOwnProperty.call(cur, k) || cur[k] === undefined) return def;
    const step = cur[k];
    if (i === keys.length - 1) return step;
    cur = requireDict(step);
  }
  return def;
}

export const dictFuncs: FuncMap = {
  dict: goFunc([], dict, 'any'),
  get: goFunc(['map', 'string'], (d: Dict | null, key: string) =>
    d && Object.prototype.hasOwnProperty.call(d, key) && d[key] !== undefined ? d[key] : '',
  ),
  set: goFunc(['map', 'string', 'any'], (d: Dict | null, key: string, value: unknown) => {
    if (!d) throw new FuncError('assignment to entry in nil map');
    d[key] = value;
    return d;
  }),
  unset: goFunc(['map', 'string'], (d: Dict | null, key: string) => {
    if (d) delete d[key];
    return d;
  }),
  hasKey: goFunc(['map', 'string'], (d: Dict | null, key: string) => !!d && Object.prototype.hasOwnProperty.call(d, key) && d[key] !== undefined),
  // Go's map order is random; insertion order is as good and stable. Pipe to sortAlpha for order.
  keys: goFunc([], (...dicts: unknown[]) => dicts.flatMap((d) => (d ? Object.keys(requireDict(d)) : [])), 'map'),
  values: goFunc(['map'], (d: Dict | null) => (d ? Object.values(d).filter((v) => v !== undefined) : [])),
  pick: goFunc(
    ['map'],
    (d: Dict | null, ...keys: string[]) => {
      const out: Dict = {};
      for (const k of keys) if (d && Object.prototype.hasOwnProperty.call(d, k) && d[k] !== undefined) out[k] = d[k];
      return out;
    },
    'string',
  ),
  omit: goFunc(
    ['map'],
    (d: Dict | null, ...keys: string[]) => {
      const out: Dict = {};
      for (const [k, v] of Object.entries(d ?? {})) if (!keys.includes(k) && v !== undefined) out[k] = v;
      return out;
    },
    'string',
  ),
  pluck: goFunc(
    ['string'],
    (name: string, ...dicts: Array<Dict | null>) =>
      dicts.filter((d): d is Dict => !!d && Object.prototype.hasOwnProperty.call(d, name)).map((d) => d[name]),
    'map',
  ),
  merge: goFunc(
    ['map'],
    (dst: Dict | null, ...srcs: Array<Dict | null>) => {
      const out = dst ?? {};
      for (const s of srcs) if (s) mergeInto(out, s, false);
      return out;
    },
    'map',
  ),
  mergeOverwrite: goFunc(
    ['map'],
    (dst: Dict | null, ...srcs: Array<Dict | null>) => {
      const out = dst ?? {};
      for (const s of srcs) if (s) mergeInto(out, s, true);
      return out;
    },
    'map',
  ),
  deepCopy: goFunc(['any'], (v: unknown) => deepCopy(v)),
  dig: goFunc([], dig, 'any'),
};

