// Owns the listeners: builds them from config, binds the ones with
// bind_to_port, finds the listener for an original destination, and drains.
import net from 'node:net';
import { setTransparent } from '../native/index.js';
import { unmapIpv4 } from './cidr.js';
import { ConfigError } from './config/errors.js';
import type { Listener as ListenerConfig } from './config/types.js';
import { onAccept } from './connection-path.js';
import type { ListenerLookup } from './connection-path.js';
import type { Endpoint } from './downstream.js';
import { ListenerRuntime } from './listener.js';
import type { FactoryContext } from './network-filters/index.js';

export class ListenerManager implements ListenerLookup {
  private readonly listeners = new Map<string, ListenerRuntime>();
  private readonly servers = new Map<ListenerRuntime, net.Server>();
  /** Downstream sockets that are open; a drain waits for them. */
  readonly activeSockets = new Set<net.Socket>();
  private accepting = true;

  constructor(private readonly context: FactoryContext) {}

  /** Builds every listener first, so one bad listener leaves nothing half-configured. */
  build(configs: readonly ListenerConfig[], pathPrefix = 'static_resources.listeners'): ListenerRuntime[] {
    const built = configs.map((c, i) => new ListenerRuntime(c, this.context, `${pathPrefix}[${i}]("${c.name}")`));
    const seen = new Map<string, string>();
    for (const l of built) {
      if (this.listeners.has(l.name)) throw new ConfigError(`duplicate listener "${l.name}"`);
      const key = `${l.address}|${l.port}`;
      if (l.port !== 0 && seen.has(key)) throw new ConfigError(`listeners "${seen.get(key)}" and "${l.name}" have the same address ${l.address}:${l.port}`);
      seen.set(key, l.name);
    }
    return built;
  }

  /** Adds built listeners and binds those with bind_to_port (all or none). */
  async add(built: readonly ListenerRuntime[]): Promise<void> {
    const bound: net.Server[] = [];
    try {
      for (const listener of built) {
        if (listener.bindToPort) bound.push(await this.bind(listener));
        else listener.boundPort = listener.port;
      }
    } catch (error) {
      for (const s of bound) s.close();
      throw error;
    }
    for (const listener of built) this.listeners.set(listener.name, listener);
  }

  private bind(listener: ListenerRuntime): Promise<net.Server> {
    const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true, noDelay: true }, (socket) => {
      if (!this.accepting) {
        socket.destroy();
        return;
      }
      this.track(socket);
      onAccept(socket, listener, this);
    });
    return new Promise((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(new ConfigError(`listener "${listener.name}": cannot bind ${listener.address}:${listener.port}: ${error.code ?? error.message}`)),
      );
      server.listen({ host: listener.address, port: listener.port, ipv6Only: listener.ipv6Only, backlog: listener.backlog }, () => {
        server.removeAllListeners('error');
        server.on('error', () => undefined);
        try {
          if (listener.transparent) setTransparent(server);
        } catch (error) {
          server.close();
          reject(new ConfigError(`listener "${listener.name}": cannot set IP_TRANSPARENT: ${(error as Error).message}`));
          return;
        }
        listener.boundPort = (server.address() as net.AddressInfo).port;
        this.servers.set(listener, server);
        resolve(server);
      });
    });
  }

  track(socket: net.Socket): void {
    this.activeSockets.add(socket);
    socket.once('close', () => this.activeSockets.delete(socket));
  }

  listenerFor(destination: Endpoint): ListenerRuntime | undefined {
    const address = unmapIpv4(destination.address);
    let wildcard: ListenerRuntime | undefined;
    for (const l of this.listeners.values()) {
      if (l.boundPort !== destination.port) continue;
      if (l.address === address) return l;
      const v4 = net.isIPv4(address);
      if ((v4 && (l.address === '0.0.0.0' || (l.address === '::' && !l.ipv6Only))) || (!v4 && l.address === '::')) wildcard ??= l;
    }
    return wildcard;
  }

  get(name: string): ListenerRuntime | undefined {
    return this.listeners.get(name);
  }

  all(): ListenerRuntime[] {
    return [...this.listeners.values()];
  }

  /** Stops accepting on every listener (the first step of a drain). */
  async stopListening(): Promise<void> {
    this.accepting = false;
    // close() stops accepting at once; its callback waits for open connections, which the drain handles.
    for (const server of this.servers.values()) server.close();
    this.servers.clear();
    await Promise.resolve();
  }

  /** Waits up to `timeMs` for open connections to finish, then closes what is left. */
  async drain(timeMs: number): Promise<void> {
    await this.stopListening();
    const deadline = Date.now() + timeMs;
    while (this.activeSockets.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(50, Math.max(1, deadline - Date.now()))));
    }
    for (const s of this.activeSockets) s.destroy();
  }
}
