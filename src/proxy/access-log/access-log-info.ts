// What an access log line can show about one request or connection (Envoy's StreamInfo).

export interface AccessLogInfo {
  /** Epoch milliseconds when the request (or connection) started. */
  startTime: number;
  durationMs: number;
  /** "HTTP/1.1"; undefined for TCP. */
  protocol?: string;
  responseCode?: number;
  responseFlags: Iterable<string>;
  responseCodeDetails?: string;
  bytesReceived: number;
  bytesSent: number;
  /** Lower-case names; HTTP/2-style pseudo-headers ":method", ":path", ":authority" work too. */
  requestHeader?(name: string): string | undefined;
  responseHeader?(name: string): string | undefined;
  upstreamHost?: string;
  upstreamCluster?: string;
  upstreamLocalAddress?: string;
  upstreamTransportFailureReason?: string;
  downstreamLocalAddress: string;
  downstreamRemoteAddress: string;
  downstreamDirectRemoteAddress: string;
  requestedServerName?: string;
  routeName?: string;
}

/** Envoy prints response flags in this order, comma-separated, "-" when none. */
export const RESPONSE_FLAG_ORDER = ['LH', 'UH', 'UT', 'LR', 'UR', 'UF', 'UC', 'UO', 'NR', 'DI', 'FI', 'RL', 'UAEX', 'RLSE', 'DC', 'URX', 'SI', 'IH', 'DPE', 'UMSDR', 'RFCF', 'NFCF', 'DT', 'UPE', 'NC', 'OM', 'DF', 'DO', 'DR'];

export function formatResponseFlags(flags: Iterable<string>): string {
  const set = new Set(flags);
  if (set.size === 0) return '-';
  return RESPONSE_FLAG_ORDER.filter((f) => set.has(f)).concat([...set].filter((f) => !RESPONSE_FLAG_ORDER.includes(f))).join(',');
}
