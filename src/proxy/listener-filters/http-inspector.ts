// envoy.filters.listener.http_inspector: labels plaintext HTTP connections
// with an application protocol ("http/1.1", "http/1.0", "h2c") so filter chains
// can send them to the HTTP connection manager. TLS connections are skipped.
import { typeUrls } from '../config/protos.js';
import type { DownstreamConnection } from '../downstream.js';
import { registerListenerFilter } from './listener-filter.js';
import type { ListenerFilter, ListenerFilterStatus } from './listener-filter.js';
import { sniffHttp } from './http-sniff.js';

class HttpInspector implements ListenerFilter {
  onAccept(connection: DownstreamConnection): ListenerFilterStatus {
    return connection.transportProtocol === 'raw_buffer' ? 'needData' : 'continue';
  }

  onData(connection: DownstreamConnection, data: Buffer, ended: boolean): ListenerFilterStatus {
    const result = sniffHttp(data);
    if (result === 'need-more') return ended ? 'continue' : 'needData';
    if (result !== 'not-http') connection.applicationProtocols = [result];
    return 'continue';
  }
}

registerListenerFilter({
  names: ['envoy.filters.listener.http_inspector', 'envoy.listener.http_inspector'],
  typeUrl: typeUrls.httpInspector,
  factory: () => () => new HttpInspector(),
});
