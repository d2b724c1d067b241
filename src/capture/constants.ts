// Names shared with Istio's istio-iptables: chain names, tables, ports.

export const ISTIO_INBOUND = 'ISTIO_INBOUND';
export const ISTIO_IN_REDIRECT = 'ISTIO_IN_REDIRECT';
export const ISTIO_OUTPUT = 'ISTIO_OUTPUT';
export const ISTIO_OUTPUT_DNS = 'ISTIO_OUTPUT_DNS';
export const ISTIO_REDIRECT = 'ISTIO_REDIRECT';
export const ISTIO_DIVERT = 'ISTIO_DIVERT';
export const ISTIO_TPROXY = 'ISTIO_TPROXY';

/** Every chain Outrigger may create; cleanup removes exactly these. */
export const ISTIO_CHAINS = [ISTIO_INBOUND, ISTIO_IN_REDIRECT, ISTIO_OUTPUT, ISTIO_OUTPUT_DNS, ISTIO_REDIRECT, ISTIO_DIVERT, ISTIO_TPROXY] as const;

export const BUILTIN_CHAINS = new Set(['INPUT', 'OUTPUT', 'FORWARD', 'PREROUTING', 'POSTROUTING']);

export type Table = 'filter' | 'nat' | 'mangle' | 'raw';
/** Tables Outrigger writes to. */
export const CAPTURE_TABLES: readonly Table[] = ['mangle', 'nat', 'raw'];

/** The source address of the proxy's inbound passthrough cluster (InboundPassthroughClusterIpv4/6). */
export const INBOUND_PASSTHROUGH_V4 = '127.0.0.6/32';
export const INBOUND_PASSTHROUGH_V6 = '::6/128';
export const LOCALHOST_V6 = '::1/128';

/** The agent's DNS proxy. */
export const DNS_CAPTURE_PORT = 15053;
/** Mark put on the proxy's own packets to the pod's address in TPROXY mode. */
export const OUTBOUND_MARK = 1338;
/** ssh is never redirected when all inbound ports are captured. */
export const SSH_PORT = 22;
