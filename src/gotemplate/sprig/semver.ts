// semverCompare with Masterminds/semver v3 rules: comparators joined by ',' or space (and)
// and '||' (or); ~ and ^ ranges; x/X/* wildcards and partial versions ("dirty"); hyphen
// ranges. A pre-release version satisfies only comparators that carry a pre-release
// themselves, so ">=1.20" rejects "1.29.1-gke.1" exactly as Helm users know it.
import { FuncError } from '../errors.js';
import { goFunc, type FuncMap } from '../funcs.js';

export interface SemVersion {
  major: number;
  minor: number;
  patch: number;
  prerelease: string;
  original: string;
}

const versionRe =
  /^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?(\+([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?$/;

export function parseVersion(s: string): SemVersion {
  const m = versionRe.exec(s);
  if (!m) throw new FuncError('Invalid Semantic Version');
  return {
    major: Number(m[1]),
    minor: m[2] ? Number(m[2].slice(1)) : 0,
    patch: m[3] ? Number(m[3].slice(1)) : 0,
    prerelease: m[5] ?? '',
    original: s,
  };
}

function comparePrerelease(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return 1;
  if (b === '') return -1;
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn) {
      const d = Number(x) - Number(y);
      if (d !== 0) return Math.sign(d);
    } else if (xn) return -1;
    else if (yn) return 1;
    else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function compareVersions(a: SemVersion, b: SemVersion): number {
  if (a.major !== b.major) return Math.sign(a.major - b.major);
  if (a.minor !== b.minor) return Math.sign(a.minor - b.minor);
  if (a.patch !== b.patch) return Math.sign(a.patch - b.patch);
  return comparePrerelease(a.prerelease, b.prerelease);
}

interface Comparator {
  op: string;
  con: SemVersion;
  dirty: boolean;
  minorDirty: boolean;
  patchDirty: boolean;
}

const isX = (s: string): boolean => s === 'x' || s === 'X' || s === '*';

const comparatorRe =
  /^\s*(=|!=|>|<|>=|=>|<=|=<|~|~>|\^)?\s*(v?([0-9xX*]+)(\.[0-9xX*]+)?(\.[0-9xX*]+)?(-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)\s*$/;

function parseComparator(text: string, whole: string): Comparator {
  const m = comparatorRe.exec(text);
  if (!m) throw new FuncError(`improper constraint: ${whole}`);
  const major = m[3]!;
  const minor = (m[4] ?? '').replace(/^\./, '');
  const patch = (m[5] ?? '').replace(/^\./, '');
  const pre = m[6] ?? '';
  let dirty = false;
  let minorDirty = false;
  let patchDirty = false;
  let ver: string;
  if (isX(major)) {
    // "*" is "0.0.0" marked dirty only: Masterminds' ~0.0.0 special case then accepts all.
    ver = `0.0.0${pre}`;
    dirty = true;
  } else if (minor === '' || isX(minor)) {
    ver = `${major}.0.0${pre}`;
    dirty = true;
    minorDirty = true;
  } else if (patch === '' || isX(patch)) {
    ver = `${major}.${minor}.0${pre}`;
    dirty = true;
    patchDirty = true;
  } else ver = `${major}.${minor}.${patch}${pre}`;
  let con: SemVersion;
  try {
    con = parseVersion(ver);
  } catch {
    throw new FuncError(`improper constraint: ${whole}`);
  }
  const op = m[1] ?? '';
  return { op: op === '=>' ? '>=' : op === '=<' ? '<=' : op === '~>' ? '~' : op, con, dirty, minorDirty, patchDirty };
}

function tilde(v: SemVersion, c: Comparator): boolean {
  if (compareVersions(v, c.con) < 0) return false;
  if (c.con.major === 0 && c.con.minor === 0 && c.con.patch === 0 && !c.minorDirty && !c.patchDirty) return true;
  if (v.major !== c.con.major) return false;
  if (v.minor !== c.con.minor && !c.minorDirty) return false;
  return true;
}

function check(v: SemVersion, c: Comparator): boolean {
  // Pre-releases only match comparators that ask for pre-releases.
  if (v.prerelease !== '' && c.con.prerelease === '') return false;
  const cmp = compareVersions(v, c.con);
  switch (c.op) {
    case '':
    case '=':
      return c.dirty ? tilde(v, c) : cmp === 0;
    case '!=':
      if (c.dirty) {
        if (c.con.major !== v.major) return true;
        if (c.minorDirty) return false;
        if (c.con.minor !== v.minor) return true;
        return false;
      }
      return cmp !== 0;
    case '>':
      if (!c.dirty) return cmp > 0;
      if (v.major !== c.con.major) return v.major > c.con.major;
      if (c.minorDirty) return false;
      if (c.patchDirty) return v.minor > c.con.minor;
      return cmp > 0;
    case '<':
      return cmp < 0;
    case '>=':
      return cmp >= 0;
    case '<=':
      if (!c.dirty) return cmp <= 0;
      if (v.major > c.con.major) return false;
      if (v.major === c.con.major && v.minor > c.con.minor && !c.minorDirty) return false;
      return true;
    case '~':
      return tilde(v, c);
    case '^':
      if (cmp < 0) return false;
      if (c.con.major > 0 || c.minorDirty) return v.major === c.con.major;
      if (v.major !== 0) return false;
      if (c.con.minor > 0 || c.patchDirty) return v.minor === c.con.minor;
      return v.minor === 0 && v.patch === c.con.patch;
  }
  return false;
}

/** Parses "a, b || c" into alternatives of comparators; hyphen ranges become >= and <=. */
export function parseConstraint(constraint: string): Comparator[][] {
  const rewritten = constraint.replace(
    /\s*(v?[0-9xX*]+(?:\.[0-9xX*]+)?(?:\.[0-9xX*]+)?(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)\s+-\s+(v?[0-9xX*]+(?:\.[0-9xX*]+)?(?:\.[0-9xX*]+)?(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)\s*/g,
    ' >= $1, <= $2 ',
  );
  return rewritten.split('||').map((alt) => {
    // Comparators are separated by commas or by spaces between complete comparators.
    const parts = alt
      .split(',')
      .flatMap((p) => p.trim().match(/(?:=|!=|>=|=>|<=|=<|>|<|~>|~|\^)?\s*[^\s,]+/g) ?? [])
      .map((p) => p.trim())
      .filter((p) => p !== '');
    if (parts.length === 0) {
      if (alt.trim() === '') return [parseComparator('*', constraint)];
      throw new FuncError(`improper constraint: ${constraint}`);
    }
    return parts.map((p) => parseComparator(p, constraint));
  });
}

export function semverMatches(constraint: string, version: string): boolean {
  const alternatives = parseConstraint(constraint);
  const v = parseVersion(version);
  return alternatives.some((all) => all.every((c) => check(v, c)));
}

export const semverFuncs: FuncMap = {
  semverCompare: goFunc(['string', 'string'], semverMatches),
  semver: goFunc(['string'], (s: string) => {
    const v = parseVersion(s);
    return { Major: v.major, Minor: v.minor, Patch: v.patch, Prerelease: v.prerelease, Original: v.original };
  }),
};
