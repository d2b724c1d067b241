// Istio's protocol selection: a port's appProtocol, else its name ("http-web",
// "grpc", "tcp-db"), decides how the proxy treats the traffic; otherwise it is
// sniffed ("auto").

export type Protocol = 'HTTP' | 'HTTP2' | 'HTTPS' | 'GRPC' | 'GRPC-Web' | 'TCP' | 'TLS' | 'Mongo' | 'Redis' | 'MySQL' | 'UDP' | 'UnsupportedProtocol';

const byName: Record<string, Protocol> = {
  http: 'HTTP',
  http2: 'HTTP2',
  https: 'HTTPS',
  grpc: 'GRPC',
  'grpc-web': 'GRPC-Web',
  tcp: 'TCP',
  tls: 'TLS',
  mongo: 'Mongo',
  redis: 'Redis',
  mysql: 'MySQL',
  udp: 'UDP',
  h2c: 'HTTP2',
  'kubernetes.io/h2c': 'HTTP2',
  'kubernetes.io/ws': 'HTTP',
  'kubernetes.io/wss': 'HTTPS',
};

/** The protocol a name or appProtocol value stands for, or undefined. */
export function protocolFromName(name: string | undefined): Protocol | undefined {
  if (!name) return undefined;
  const lower = name.toLowerCase();
  if (byName[lower]) return byName[lower];
  // "http-web", "grpc-api": the part before the first dash names the protocol.
  const prefix = lower.split('-')[0]!;
  if (prefix === 'grpc' && lower.startsWith('grpc-web')) return 'GRPC-Web';
  return byName[prefix];
}

/**
 * A Service port's protocol: appProtocol wins, then the port name; unnamed TCP
 * ports are sniffed (undefined); UDP ports are UDP.
 */
export function portProtocol(port: { name?: string; protocol?: string; appProtocol?: string }): Protocol | undefined {
  if ((port.protocol ?? 'TCP').toUpperCase() === 'UDP') return 'UDP';
  if ((port.protocol ?? 'TCP').toUpperCase() === 'SCTP') return 'UnsupportedProtocol';
  return protocolFromName(port.appProtocol) ?? protocolFromName(port.name);
}

export function isHttp(protocol: Protocol | undefined): boolean {
  return protocol === 'HTTP' || protocol === 'HTTP2' || protocol === 'GRPC' || protocol === 'GRPC-Web';
}

export function isHttp2(protocol: Protocol | undefined): boolean {
  return protocol === 'HTTP2' || protocol === 'GRPC';
}

/** Treated as opaque TCP by the proxy. */
export function isTcp(protocol: Protocol | undefined): boolean {
  return protocol !== undefined && !isHttp(protocol) && protocol !== 'UDP' && protocol !== 'UnsupportedProtocol';
}
