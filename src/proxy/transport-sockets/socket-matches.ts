// A cluster's transport_socket_matches: per endpoint, the first entry whose
// `match` fields all equal the endpoint's filter_metadata
// "envoy.transport_socket_match" decides the transport socket; none matching,
// the cluster's transport_socket. Istio marks mTLS-capable endpoints with
// {tlsMode: istio} this way and keeps plaintext for the others.
import { isDeepStrictEqual } from 'node:util';
import type { JsonObject } from '../config/proto-json.js';

export const TRANSPORT_SOCKET_MATCH_KEY = 'envoy.transport_socket_match';

export interface SocketMatch<T> {
  name: string;
  match: JsonObject;
  socket: T;
}

/** The criteria an endpoint offers: its filter_metadata["envoy.transport_socket_match"], if any. */
export function transportSocketMatchOf(metadata: JsonObject | undefined): JsonObject | undefined {
  const filter = metadata?.['filter_metadata'];
  if (!filter || typeof filter !== 'object' || Array.isArray(filter)) return undefined;
  const criteria = filter[TRANSPORT_SOCKET_MATCH_KEY];
  return criteria && typeof criteria === 'object' && !Array.isArray(criteria) ? criteria : undefined;
}

export function selectSocket<T>(matches: readonly SocketMatch<T>[], endpoint: JsonObject | undefined, fallback: T): T {
  for (const m of matches) {
    if (Object.entries(m.match).every(([key, value]) => endpoint !== undefined && isDeepStrictEqual(endpoint[key], value))) return m.socket;
  }
  return fallback;
}
