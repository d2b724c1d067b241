// The address the proxy reaches the app from over IPv6: ::6, as 127.0.0.6 over
// IPv4 (InboundPassthroughClusterIpv6 binds it). 127.0.0.6 is local by virtue of
// 127/8 on lo; ::6 is not, so capture adds it to lo, as istio-iptables does.
import { run, runOrThrow } from './exec.js';
import { INBOUND_PASSTHROUGH_V6 } from './constants.js';

/** Adds ::6/128 to lo if it is missing; returns the commands that undo what it added. */
export async function ensureInboundPassthroughV6(): Promise<string[][]> {
  const listing = await run('ip', ['-6', 'addr', 'show', 'dev', 'lo']);
  if (listing.stdout.includes(`inet6 ${INBOUND_PASSTHROUGH_V6} `)) return [];
  try {
    await runOrThrow('ip', ['-6', 'addr', 'add', INBOUND_PASSTHROUGH_V6, 'dev', 'lo']);
  } catch (error) {
    throw new Error(`IPv6 capture needs ${INBOUND_PASSTHROUGH_V6} on lo for inbound passthrough, and adding it failed (is IPv6 disabled in this network namespace?): ${(error as Error).message}`);
  }
  return [['-6', 'addr', 'del', INBOUND_PASSTHROUGH_V6, 'dev', 'lo']];
}
