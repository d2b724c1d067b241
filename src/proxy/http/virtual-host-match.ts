// Choosing a virtual host by the request's authority, in Envoy's order: an
// exact domain, then the longest "*.suffix" wildcard, then the longest
// "prefix.*" wildcard, then "*". Domains compare case-insensitively.
import { ConfigError } from '../config/errors.js';

export interface DomainIndex<T> {
  exact: Map<string, T>;
  /** Longest suffix first. */
  suffixes: { suffix: string; value: T }[];
  /** Longest prefix first. */
  prefixes: { prefix: string; value: T }[];
  any: T | undefined;
}

export function buildDomainIndex<T>(hosts: readonly { domains: readonly string[]; value: T }[], path: string): DomainIndex<T> {
  const index: DomainIndex<T> = { exact: new Map(), suffixes: [], prefixes: [], any: undefined };
  const seen = new Set<string>();
  hosts.forEach((host, i) => {
    for (const raw of host.domains) {
      const domain = raw.toLowerCase();
      // Envoy rejects a domain that appears in two virtual hosts: which one wins would be arbitrary.
      if (seen.has(domain)) throw new ConfigError(`domain "${raw}" appears in more than one virtual host`, `${path}[${i}].domains`);
      seen.add(domain);
      if (domain === '*') index.any = host.value;
      else if (domain.startsWith('*')) index.suffixes.push({ suffix: domain.slice(1), value: host.value });
      else if (domain.endsWith('*')) index.prefixes.push({ prefix: domain.slice(0, -1), value: host.value });
      else if (domain.includes('*')) throw new ConfigError(`domain "${raw}": a wildcard may only be first or last`, `${path}[${i}].domains`);
      else index.exact.set(domain, host.value);
    }
  });
  index.suffixes.sort((a, b) => b.suffix.length - a.suffix.length);
  index.prefixes.sort((a, b) => b.prefix.length - a.prefix.length);
  return index;
}

/** The value for an authority ("reviews:9080", "Reviews.default"), or undefined. */
export function matchDomain<T>(index: DomainIndex<T>, authority: string, stripPort = false): T | undefined {
  let host = authority.toLowerCase();
  if (stripPort) host = stripHostPort(host);
  const exact = index.exact.get(host);
  if (exact !== undefined) return exact;
  // A wildcard must cover at least one character ("*.foo.com" does not match ".foo.com").
  for (const s of index.suffixes) if (host.length > s.suffix.length && host.endsWith(s.suffix)) return s.value;
  for (const p of index.prefixes) if (host.length > p.prefix.length && host.startsWith(p.prefix)) return p.value;
  return index.any;
}

/** "a:80" → "a", "[::1]:80" → "[::1]"; an IPv6 literal without brackets is left alone. */
export function stripHostPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end >= 0 ? host.slice(0, end + 1) : host;
  }
  const colon = host.lastIndexOf(':');
  if (colon < 0 || host.indexOf(':') !== colon) return host;
  return /^\d+$/.test(host.slice(colon + 1)) ? host.slice(0, colon) : host;
}
