// Owns the listeners: builds them from config, binds the ones with
// bind_to_port (or, in a worker, listens on the socket the main process bound),
// finds the listener for an original destination, and drains.
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

/** A listener's place: the runtime object can be swapped in place when LDS updates it. */
interface Slot {
  runtime: ListenerRuntime;
  server?: net.Server;
}

/** Listeners at the same socket with the same socket options can share the bound socket on update. */
function sameSocket(a: ListenerRuntime, b: ListenerRuntime): boolean {
  // A listener first bound on port 0 is the same socket as its update naming the port it got.
  const samePort = a.port === b.port || (b.port !== 0 && a.boundPort === b.port);
  return a.address === b.address && samePort && a.bindToPort === b.bindToPort && a.transparent === b.transparent && a.ipv6Only === b.ipv6Only;
}

/**
 * Workers do not bind: the main process binds each listener's socket and hands it over, and
 * every process accepts on it. This returns the socket handed over for a listener about to bind.
 */
export type InheritedSocket = (listener: ListenerRuntime) => net.Server | undefined;

export class ListenerManager implements ListenerLookup {
  private readonly slots = new Map<string, Slot>();
  /** Downstream sockets that are open; a drain waits for them. */
  readonly activeSockets = new Set<net.Socket>();
  private accepting = true;

  constructor(
    private readonly context: FactoryContext,
    private readonly inheritedSocket?: InheritedSocket,
  ) {}

  /** Builds every listener first, so one bad listener leaves nothing half-configured. */
  build(configs: readonly ListenerConfig[], pathPrefix = 'static_resources.listeners'): ListenerRuntime[] {
    const built = configs.map((c, i) => new ListenerRuntime(c, this.context, `${pathPrefix}[${i}]("${c.name}")`));
    const seen = new Map<string, string>();
    for (const l of built) {
      if (this.slots.has(l.name)) throw new ConfigError(`duplicate listener "${l.name}"`);
      const key = `${l.address}|${l.port}`;
      if (l.port !== 0 && seen.has(key)) throw new ConfigError(`listeners "${seen.get(key)}" and "${l.name}" have the same address ${l.address}:${l.port}`);
      seen.set(key, l.name);
    }
    return built;
  }

  /** Adds built listeners and binds those with bind_to_port (all or none). */
  async add(built: readonly ListenerRuntime[]): Promise<void> {
    const slots: Slot[] = [];
    try {
      for (const runtime of built) {
        const slot: Slot = { runtime };
        if (runtime.bindToPort) await this.bind(slot);
        else runtime.boundPort = runtime.port;
        slots.push(slot);
      }
    } catch (error) {
      for (const s of slots) s.server?.close();
      throw error;
    }
    for (const slot of slots) this.slots.set(slot.runtime.name, slot);
  }

  /**
   * LDS: adds a listener or replaces one of the same name. A replacement at the same socket takes
   * over the bound socket in place (no connection is refused meanwhile); connections already
   * accepted keep the filter chains they started with. A bad listener changes nothing.
   */
  async addOrUpdate(config: ListenerConfig, versionInfo?: string): Promise<ListenerRuntime> {
    const runtime = new ListenerRuntime(config, this.context, `Listener("${config.name}")`, true, versionInfo);
    for (const slot of this.slots.values()) {
      const other = slot.runtime;
      if (other.name !== runtime.name && runtime.port !== 0 && other.address === runtime.address && other.port === runtime.port) {
        throw new ConfigError(`listener "${runtime.name}" has the same address ${runtime.address}:${runtime.port} as "${other.name}"`);
      }
    }
    const existing = this.slots.get(runtime.name);
    if (existing && sameSocket(existing.runtime, runtime)) {
      runtime.boundPort = existing.runtime.boundPort;
      existing.runtime.close();
      existing.runtime = runtime;
      return runtime;
    }
    const slot: Slot = { runtime };
    // A listener moving to another socket: the old socket closes first when the port is the same.
    if (existing && (existing.runtime.port === runtime.port || existing.runtime.boundPort === runtime.port)) existing.server?.close();
    if (runtime.bindToPort) await this.bind(slot);
    else runtime.boundPort = runtime.port;
    existing?.server?.close();
    existing?.runtime.close();
    this.slots.set(runtime.name, slot);
    return runtime;
  }

  /** LDS removal: stops accepting on the listener; its open connections run to completion. */
  remove(name: string): boolean {
    const slot = this.slots.get(name);
    slot?.server?.close();
    slot?.runtime.close();
    return this.slots.delete(name);
  }

  private bind(slot: Slot): Promise<void> {
    const listener = slot.runtime;
    const inherited = this.inheritedSocket?.(listener);
    if (this.inheritedSocket && !inherited) return Promise.reject(new ConfigError(`listener "${listener.name}": no socket was handed over for ${listener.address}:${listener.port}`));
    const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true, noDelay: true }, (socket) => {
      if (!this.accepting) {
        socket.destroy();
        return;
      }
      this.track(socket);
      // The slot, not the listener captured at bind time: an in-place update applies to the next connection.
      onAccept(socket, slot.runtime, this);
    });
    return new Promise((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(new ConfigError(`listener "${listener.name}": cannot bind ${listener.address}:${listener.port}: ${error.code ?? error.message}`)),
      );
      const listening = () => {
        server.removeAllListeners('error');
        server.on('error', () => undefined);
        try {
          // An inherited socket is the same kernel socket: it has the option already.
          if (listener.transparent && !inherited) setTransparent(server);
        } catch (error) {
          server.close();
          reject(new ConfigError(`listener "${listener.name}": cannot set IP_TRANSPARENT: ${(error as Error).message}`));
          return;
        }
        listener.boundPort = (server.address() as net.AddressInfo).port;
        slot.server = server;
        resolve();
      };
      if (inherited) server.listen(inherited, listener.backlog ?? 511, listening);
      else server.listen({ host: listener.address, port: listener.port, ipv6Only: listener.ipv6Only, backlog: listener.backlog }, listening);
    });
  }

  /** The bound socket of a listener (what the main process hands to workers). */
  socketOf(name: string): net.Server | undefined {
    return this.slots.get(name)?.server;
  }

  track(socket: net.Socket): void {
    this.activeSockets.add(socket);
    socket.once('close', () => this.activeSockets.delete(socket));
  }

  listenerFor(destination: Endpoint): ListenerRuntime | undefined {
    const address = unmapIpv4(destination.address);
    let wildcard: ListenerRuntime | undefined;
    for (const { runtime: l } of this.slots.values()) {
      if (l.boundPort !== destination.port) continue;
      if (l.address === address) return l;
      const v4 = net.isIPv4(address);
      if ((v4 && (l.address === '0.0.0.0' || (l.address === '::' && !l.ipv6Only))) || (!v4 && l.address === '::')) wildcard ??= l;
    }
    return wildcard;
  }

  get(name: string): ListenerRuntime | undefined {
    return this.slots.get(name)?.runtime;
  }

  all(): ListenerRuntime[] {
    return [...this.slots.values()].map((s) => s.runtime);
  }

  /** Stops accepting on every listener (the first step of a drain). */
  async stopListening(): Promise<void> {
    this.accepting = false;
    // close() stops accepting at once; its callback waits for open connections, which the drain handles.
    for (const slot of this.slots.values()) {
      slot.server?.close();
      delete slot.server;
    }
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

  /** After a drain: releases every listener's filter resources. */
  close(): void {
    for (const slot of this.slots.values()) slot.runtime.close();
  }
}
