// Opens one upstream TCP connection to a chosen host: connect_timeout, the
// cluster's source address, and the cluster and host stats that Envoy keeps.
// A cluster with a TLS transport socket is connected only once the handshake
// and the peer's verification have passed (within the same connect_timeout).
import net from 'node:net';
import type { Cluster } from './cluster.js';
import type { Host } from './host.js';

export type ConnectFailure = 'timeout' | 'refused' | 'error';

export interface UpstreamConnection {
  socket: net.Socket;
  host: Host;
  cluster: Cluster;
  /** Call once when the connection ends, whoever closed it. */
  release(closedBy: 'local' | 'remote'): void;
}

export function connectUpstream(cluster: Cluster, host: Host): Promise<UpstreamConnection> {
  const stats = cluster.stats;
  stats.upstream_cx_total.inc();
  host.cxTotal++;
  return new Promise((resolve, reject) => {
    const options: net.NetConnectOpts = { host: host.address, port: host.port, allowHalfOpen: true, noDelay: true };
    const source = cluster.sourceFor(host.address);
    if (source) {
      options.localAddress = source.address;
      if (source.port) options.localPort = source.port;
    }
    const socket = net.connect(options);
    let settled = false;
    const fail = (kind: ConnectFailure, error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      stats.upstream_cx_connect_fail.inc();
      if (kind === 'timeout') stats.upstream_cx_connect_timeout.inc();
      host.cxConnectFail++;
      reject(Object.assign(error, { failure: kind }));
    };
    const timer = setTimeout(() => fail('timeout', new Error(`connect to ${host.key} timed out after ${cluster.connectTimeoutMs} ms`)), cluster.connectTimeoutMs);
    socket.once('error', (error: NodeJS.ErrnoException) => fail(error.code === 'ECONNREFUSED' ? 'refused' : 'error', error));
    const connected = (socket: net.Socket) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeAllListeners('error');
      stats.upstream_cx_active.inc();
      host.cxActive++;
      host.activeRequests++;
      let released = false;
      resolve({
        socket,
        host,
        cluster,
        release(closedBy) {
          if (released) return;
          released = true;
          stats.upstream_cx_active.dec();
          stats.upstream_cx_destroy.inc();
          (closedBy === 'local' ? stats.upstream_cx_destroy_local : stats.upstream_cx_destroy_remote).inc();
          host.cxActive--;
          host.activeRequests--;
        },
      });
    };
    socket.once('connect', () => {
      const upstreamTls = cluster.tlsFor(host);
      if (!upstreamTls) return connected(socket);
      socket.on('error', () => undefined); // the TLS socket on top reports its errors
      const secure = upstreamTls.connect({ socket });
      secure.once('error', (error: NodeJS.ErrnoException) => fail('error', error));
      secure.once('secureConnect', () => {
        secure.removeAllListeners('error');
        connected(secure);
      });
    });
  });
}
