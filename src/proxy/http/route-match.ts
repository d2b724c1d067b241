// Matching a request against a virtual host's routes, first match wins, as a
// pure function over compiled matchers: path (prefix, path, safe_regex,
// path_separated_prefix, case_sensitive), headers and query parameters.
import { ConfigError } from '../config/errors.js';
import { compileRegex, compileStringMatcher } from './string-match.js';
import type { StringMatcherConfig, StringPredicate } from './string-match.js';

/** What route matching looks at. `path` includes the query string, as :path does. */
export interface RequestInfo {
  path: string;
  /** Lower-case names; repeated headers joined with "," as Envoy does for matching. */
  header(name: string): string | undefined;
}

export interface HeaderMatcherConfig {
  name: string;
  exact_match?: string;
  safe_regex_match?: { regex: string };
  range_match?: { start: number; end: number };
  present_match?: boolean;
  prefix_match?: string;
  suffix_match?: string;
  contains_match?: string;
  string_match?: StringMatcherConfig;
  invert_match?: boolean;
  treat_missing_header_as_empty?: boolean;
}

export interface RouteMatchConfig {
  prefix?: string;
  path?: string;
  safe_regex?: { regex: string };
  path_separated_prefix?: string;
  case_sensitive?: boolean;
  headers?: HeaderMatcherConfig[];
  query_parameters?: { name: string; string_match?: StringMatcherConfig; present_match?: boolean }[];
}

export type RequestPredicate = (request: RequestInfo, pathOnly: string, query: URLSearchParams | undefined) => boolean;

export function compileHeaderMatcher(m: HeaderMatcherConfig, path: string): (request: RequestInfo) => boolean {
  const name = m.name.toLowerCase();
  let test: (value: string | undefined) => boolean;
  if (m.present_match !== undefined) test = (v) => (v !== undefined) === m.present_match;
  else {
    let predicate: StringPredicate;
    if (m.exact_match !== undefined) predicate = compileStringMatcher({ exact: m.exact_match }, path);
    else if (m.prefix_match !== undefined) predicate = compileStringMatcher({ prefix: m.prefix_match }, path);
    else if (m.suffix_match !== undefined) predicate = compileStringMatcher({ suffix: m.suffix_match }, path);
    else if (m.contains_match !== undefined) predicate = compileStringMatcher({ contains: m.contains_match }, path);
    else if (m.safe_regex_match !== undefined) predicate = compileStringMatcher({ safe_regex: m.safe_regex_match }, path);
    else if (m.string_match !== undefined) predicate = compileStringMatcher(m.string_match, `${path}.string_match`);
    else if (m.range_match !== undefined) {
      const { start, end } = m.range_match;
      predicate = (v) => /^-?\d+$/.test(v) && Number(v) >= start && Number(v) < end;
    } else predicate = () => true; // only a name: the header must be present
    test = (v) => (v === undefined ? m.treat_missing_header_as_empty === true && predicate('') : predicate(v));
  }
  const invert = m.invert_match === true;
  return (request) => test(request.header(name)) !== invert;
}

export function compileRouteMatch(m: RouteMatchConfig, path: string): RequestPredicate {
  const caseSensitive = m.case_sensitive ?? true;
  const fold = (s: string) => (caseSensitive ? s : s.toLowerCase());
  let pathTest: (p: string) => boolean;
  if (m.prefix !== undefined) {
    const prefix = fold(m.prefix);
    pathTest = (p) => fold(p).startsWith(prefix);
  } else if (m.path !== undefined) {
    const exact = fold(m.path);
    pathTest = (p) => fold(p) === exact;
  } else if (m.safe_regex !== undefined) {
    const re = compileRegex(m.safe_regex.regex, `${path}.safe_regex.regex`, caseSensitive ? '' : 'i');
    pathTest = (p) => re.test(p);
  } else if (m.path_separated_prefix !== undefined) {
    const prefix = fold(m.path_separated_prefix);
    if (prefix.endsWith('/') || prefix.includes('?') || prefix.includes('#')) {
      throw new ConfigError('path_separated_prefix must not end in "/" or contain "?" or "#"', `${path}.path_separated_prefix`);
    }
    pathTest = (p) => {
      const f = fold(p);
      return f === prefix || (f.startsWith(prefix) && f[prefix.length] === '/');
    };
  } else throw new ConfigError('a route match needs prefix, path, safe_regex or path_separated_prefix', path);

  const headers = (m.headers ?? []).map((h, i) => compileHeaderMatcher(h, `${path}.headers[${i}]`));
  const queries = (m.query_parameters ?? []).map((q, i) => {
    const where = `${path}.query_parameters[${i}]`;
    if (q.string_match) {
      const predicate = compileStringMatcher(q.string_match, `${where}.string_match`);
      return (params: URLSearchParams | undefined) => {
        const v = params?.get(q.name);
        return v !== null && v !== undefined && predicate(v);
      };
    }
    // present_match, or only a name: the parameter must be present.
    return (params: URLSearchParams | undefined) => (params?.has(q.name) ?? false) === (q.present_match ?? true);
  });
  return (request, pathOnly, query) => pathTest(pathOnly) && headers.every((h) => h(request)) && queries.every((q) => q(query));
}

/** The index of the first route whose predicate matches, or -1. */
export function matchRoute(predicates: readonly RequestPredicate[], request: RequestInfo): number {
  const q = request.path.indexOf('?');
  const pathOnly = q < 0 ? request.path : request.path.slice(0, q);
  let query: URLSearchParams | undefined;
  const queryOf = () => (query ??= new URLSearchParams(q < 0 ? '' : request.path.slice(q + 1)));
  for (let i = 0; i < predicates.length; i++) {
    // URLSearchParams is built only when a route looks at the query.
    if (predicates[i]!(request, pathOnly, q < 0 ? undefined : queryOf())) return i;
  }
  return -1;
}
