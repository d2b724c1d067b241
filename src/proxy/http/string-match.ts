// Envoy's StringMatcher (exact, prefix, suffix, contains, safe_regex, ignore_case)
// compiled once into a predicate.
import { ConfigError } from '../config/errors.js';

export interface StringMatcherConfig {
  exact?: string;
  prefix?: string;
  suffix?: string;
  contains?: string;
  safe_regex?: { regex: string };
  ignore_case?: boolean;
}

export type StringPredicate = (value: string) => boolean;

/** RE2 full-match semantics with JavaScript's engine; RE2-only syntax is a config error. */
export function compileRegex(regex: string, path: string, flags = ''): RegExp {
  try {
    return new RegExp(`^(?:${regex})$`, flags);
  } catch (error) {
    throw new ConfigError(`invalid regex ${JSON.stringify(regex)}: ${(error as Error).message}`, path);
  }
}

export function compileStringMatcher(m: StringMatcherConfig, path: string): StringPredicate {
  const fold = m.ignore_case === true;
  const norm = (s: string) => (fold ? s.toLowerCase() : s);
  if (m.exact !== undefined) {
    const want = norm(m.exact);
    return (v) => norm(v) === want;
  }
  if (m.prefix !== undefined) {
    const want = norm(m.prefix);
    return (v) => norm(v).startsWith(want);
  }
  if (m.suffix !== undefined) {
    const want = norm(m.suffix);
    return (v) => norm(v).endsWith(want);
  }
  if (m.contains !== undefined) {
    const want = norm(m.contains);
    return (v) => norm(v).includes(want);
  }
  if (m.safe_regex !== undefined) {
    // Envoy ignores ignore_case for regexes; so do we.
    const re = compileRegex(m.safe_regex.regex, `${path}.safe_regex.regex`);
    return (v) => re.test(v);
  }
  throw new ConfigError('a string matcher needs exact, prefix, suffix, contains or safe_regex', path);
}
