// envoy.filters.listener.original_dst: restores the destination the client
// dialled. With REDIRECT, netfilter rewrote it and SO_ORIGINAL_DST gives it
// back; with TPROXY (transparent listeners) the socket's local address already
// is the original destination, and SO_ORIGINAL_DST fails with ENOENT.
import { originalDst } from '../../native/index.js';
import { unmapIpv4 } from '../cidr.js';
import { typeUrls } from '../config/protos.js';
import type { DownstreamConnection } from '../downstream.js';
import { registerListenerFilter } from './listener-filter.js';
import type { ListenerFilter } from './listener-filter.js';

export type OriginalDstLookup = (connection: DownstreamConnection) => { address: string; port: number } | undefined;

/** SO_ORIGINAL_DST, or undefined when the connection was not redirected (or the addon is missing). */
export const kernelOriginalDst: OriginalDstLookup = (connection) => {
  try {
    const dst = originalDst(connection.socket);
    return { address: unmapIpv4(dst.address), port: dst.port };
  } catch {
    return undefined;
  }
};

let lookup: OriginalDstLookup = kernelOriginalDst;

/** Replaces the lookup (tests on loopback, where nothing is redirected). Returns the previous one. */
export function setOriginalDstLookup(next: OriginalDstLookup): OriginalDstLookup {
  const previous = lookup;
  lookup = next;
  return previous;
}

class OriginalDstFilter implements ListenerFilter {
  onAccept(connection: DownstreamConnection): 'continue' {
    const dst = lookup(connection);
    if (dst) {
      connection.localAddress = dst;
      connection.localAddressRestored = true;
    } else if (connection.transparent) {
      // TPROXY: the local address is the original destination, as Envoy's getOriginalDst also decides.
      connection.localAddressRestored = true;
    }
    return 'continue';
  }
}

/** The filter's names, current first; use_original_dst implies it under the first. */
export const ORIGINAL_DST_NAMES: readonly string[] = ['envoy.filters.listener.original_dst', 'envoy.listener.original_dst'];

registerListenerFilter({
  names: [...ORIGINAL_DST_NAMES],
  typeUrl: typeUrls.originalDst,
  factory: () => () => new OriginalDstFilter(),
});
