// Envoy's match_typed_subject_alt_names (and the older match_subject_alt_names):
// the peer certificate passes when any of its SANs satisfies any matcher. This
// is Istio's identity check, e.g. URI exact spiffe://cluster.local/ns/default/sa/bookinfo-reviews.
import type { PeerCertificate } from 'node:tls';
import { ConfigError } from '../config/errors.js';
import { compileStringMatcher } from '../http/string-match.js';
import type { StringPredicate } from '../http/string-match.js';
import type { SubjectAltNameMatcherConfig, ValidationContextConfig } from './tls-types.js';

type NodeSanType = 'DNS' | 'URI' | 'email' | 'IP Address';

interface SanMatcher {
  /** undefined: any SAN type (match_subject_alt_names). */
  type: NodeSanType | undefined;
  test: StringPredicate;
}

const SAN_TYPES: Record<string, NodeSanType> = { DNS: 'DNS', URI: 'URI', EMAIL: 'email', IP_ADDRESS: 'IP Address' };

export type SanCheck = (cert: PeerCertificate) => boolean;

export function compileSanMatchers(context: ValidationContextConfig, path: string): SanCheck | undefined {
  const matchers: SanMatcher[] = [];
  (context.match_typed_subject_alt_names ?? []).forEach((m: SubjectAltNameMatcherConfig, i) => {
    const where = `${path}.match_typed_subject_alt_names[${i}]`;
    const type = SAN_TYPES[m.san_type ?? 'SAN_TYPE_UNSPECIFIED'];
    if (!type) throw new ConfigError(`san_type ${m.san_type ?? 'SAN_TYPE_UNSPECIFIED'} is not supported by the outrigger proxy (DNS, URI, EMAIL, IP_ADDRESS are)`, `${where}.san_type`);
    if (!m.matcher) throw new ConfigError('matcher is required', `${where}.matcher`);
    matchers.push({ type, test: compileStringMatcher(m.matcher, `${where}.matcher`) });
  });
  (context.match_subject_alt_names ?? []).forEach((m, i) => {
    matchers.push({ type: undefined, test: compileStringMatcher(m, `${path}.match_subject_alt_names[${i}]`) });
  });
  if (matchers.length === 0) return undefined;
  return (cert) => {
    const sans = parseSubjectAltName(cert.subjectaltname ?? '');
    return sans.some((san) => matchers.some((m) => (m.type === undefined || m.type === san.type) && matchesSan(m, san)));
  };
}

/** Matched as written: Envoy's wildcard DNS SAN matching ("*.example.com" against an exact name) is not implemented. */
function matchesSan(m: SanMatcher, san: { type: string; value: string }): boolean {
  return m.test(san.value);
}

/** node's "DNS:a, URI:spiffe://…, IP Address:10.0.0.1"; values containing ", " come JSON-quoted. */
export function parseSubjectAltName(text: string): { type: string; value: string }[] {
  const out: { type: string; value: string }[] = [];
  const re = /(DNS|URI|email|IP Address|othername|DirName|Registered ID):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g;
  for (let m = re.exec(text); m && m[0] !== ''; m = re.exec(text)) {
    const raw = m[2]!;
    out.push({ type: m[1]!, value: raw.startsWith('"') ? (JSON.parse(raw) as string) : raw });
  }
  return out;
}
