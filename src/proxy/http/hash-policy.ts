// A route's hash_policy compiled into one function from a request to a hash
// (or undefined), for RING_HASH clusters. Policies are combined in order; a
// "terminal" policy that produces a hash stops the rest, as in Envoy.
import { combineHash, hashString } from '../load-balancers/index.js';

export interface HashPolicyConfig {
  header?: { header_name: string };
  cookie?: { name: string; path?: string };
  connection_properties?: { source_ip?: boolean };
  query_parameter?: { name: string };
  terminal?: boolean;
}

export interface HashInput {
  header(name: string): string | undefined;
  sourceIp: string;
  path: string;
}

export type RequestHasher = (input: HashInput) => number | undefined;

function cookieValue(cookies: string | undefined, name: string): string | undefined {
  if (!cookies) return undefined;
  for (const part of cookies.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function compileHashPolicy(policies: readonly HashPolicyConfig[] | undefined): RequestHasher | undefined {
  if (!policies || policies.length === 0) return undefined;
  const steps = policies.map((p) => {
    let key: (input: HashInput) => string | undefined;
    if (p.header) {
      const name = p.header.header_name.toLowerCase();
      key = (i) => i.header(name);
    } else if (p.cookie) {
      const name = p.cookie.name;
      key = (i) => cookieValue(i.header('cookie'), name);
    } else if (p.connection_properties?.source_ip) key = (i) => i.sourceIp;
    else if (p.query_parameter) {
      const name = p.query_parameter.name;
      key = (i) => {
        const q = i.path.indexOf('?');
        return q < 0 ? undefined : (new URLSearchParams(i.path.slice(q + 1)).get(name) ?? undefined);
      };
    } else key = () => undefined;
    return { key, terminal: p.terminal === true };
  });
  return (input) => {
    let hash: number | undefined;
    for (const step of steps) {
      const value = step.key(input);
      if (value === undefined) continue;
      hash = combineHash(hash, hashString(value));
      if (step.terminal) break;
    }
    return hash;
  };
}
