// envoy.filters.listener.tls_inspector: if the client starts with a TLS
// ClientHello, the connection's transport protocol becomes "tls" and its SNI
// and ALPN become matchable by filter chains. TLS is not terminated here.
import { typeUrls } from '../config/protos.js';
import type { DownstreamConnection } from '../downstream.js';
import { registerListenerFilter } from './listener-filter.js';
import type { ListenerFilter, ListenerFilterStatus } from './listener-filter.js';
import { parseClientHello } from './tls-client-hello.js';

class TlsInspector implements ListenerFilter {
  onAccept(): ListenerFilterStatus {
    return 'needData';
  }

  onData(connection: DownstreamConnection, data: Buffer, ended: boolean): ListenerFilterStatus {
    const hello = parseClientHello(data);
    if (hello.kind === 'need-more') return ended ? 'continue' : 'needData';
    if (hello.kind === 'tls') {
      connection.transportProtocol = 'tls';
      if (hello.serverName !== undefined) connection.serverName = hello.serverName;
      connection.applicationProtocols = hello.alpn;
    } else if (hello.kind === 'invalid') {
      connection.transportProtocol = 'tls';
    }
    return 'continue';
  }
}

registerListenerFilter({
  names: ['envoy.filters.listener.tls_inspector', 'envoy.listener.tls_inspector'],
  typeUrl: typeUrls.tlsInspector,
  factory: () => () => new TlsInspector(),
});
