// Owns the listeners: builds them from config, binds the ones with
// bind_to_port (or, in a worker, listens on the socket the main process bound),
// finds the listener for an original destination, and drains.
import net from 'node:net';
import { setTransparent } from '../native/index.js';
import { ConfigError } from './config/errors.js';
import type { Listener as ListenerConfig } from './config/types.js';
import { onAccept } from './connection-path.js';
import type { ListenerLookup } from './connection-path.js';
import type { Endpoint } from './downstream.js';
import { ListenerRuntime } from './listener.js';
import { destinationOf, hostPort, ownsDestination } from './listener-address.js';
import type { ListenerAddress } from './listener-address.js';
import type { FactoryContext } from './network-filters/index.js';

/** A listener's place: the runtime object can be swapped in place when LDS updates it. */
interface Slot {
  runtime: ListenerRuntime;
  /** The primary address's socket (the one handed to workers). */
  server?: net.Server;
  /** The additional addresses' sockets, in order. */
  extraServers?: net.Server[];
}

function closeServers(slot: Slot): void {
  slot.server?.close();
  for (const s of slot.extraServers ?? []) s.close();
  delete slot.server;
  delete slot.extraServers;
}

function sameAddress(a: ListenerAddress, b: ListenerAddress): boolean {
  // A listener first bound on port 0 is the same socket as its update naming the port it got.
  const samePort = a.port === b.port || (b.port !== 0 && a.boundPort === b.port);
  return a.key === b.key && samePort && a.ipv6Only === b.ipv6Only;
}

/** Listeners at the same sockets with the same socket options can share the bound sockets on update. */
function sameSocket(a: ListenerRuntime, b: ListenerRuntime): boolean {
  return a.addresses.length === b.addresses.length && a.addresses.every((x, i) => sameAddress(x, b.addresses[i]!))
    && a.bindToPort === b.bindToPort && a.transparent === b.transparent;
}

/** Two listeners (or one listener twice) claiming the same ip:port. */
function clash(a: ListenerAddress, b: ListenerAddress): boolean {
  return a.port !== 0 && a.key === b.key && a.port === b.port;
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
      for (const a of l.addresses) {
        const key = `${a.key}|${a.port}`;
        if (a.port !== 0 && seen.has(key)) throw new ConfigError(`listeners "${seen.get(key)}" and "${l.name}" have the same address ${hostPort(a.address, a.port)}`);
        seen.set(key, l.name);
      }
    }
    return built;
  }

  /** Adds built listeners and binds those with bind_to_port (all or none). */
  async add(built: readonly ListenerRuntime[]): Promise<void> {
    const slots: Slot[] = [];
    try {
      for (const runtime of built) {
        const slot: Slot = { runtime };
        slots.push(slot);
        if (runtime.bindToPort) await this.bind(slot);
        else for (const a of runtime.addresses) a.boundPort = a.port;
      }
    } catch (error) {
      for (const s of slots) closeServers(s);
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
      if (other.name === runtime.name) continue;
      for (const a of runtime.addresses) {
        if (other.addresses.some((b) => clash(a, b))) throw new ConfigError(`listener "${runtime.name}" has the same address ${hostPort(a.address, a.port)} as "${other.name}"`);
      }
    }
    const existing = this.slots.get(runtime.name);
    if (existing && sameSocket(existing.runtime, runtime)) {
      runtime.addresses.forEach((a, i) => (a.boundPort = existing.runtime.addresses[i]!.boundPort));
      existing.runtime.close();
      existing.runtime = runtime;
      return runtime;
    }
    const slot: Slot = { runtime };
    // A listener moving to other sockets: the old ones close first when a port is the same.
    const reusesPort = existing?.runtime.addresses.some((o) => runtime.addresses.some((a) => o.port === a.port || o.boundPort === a.port));
    if (existing && reusesPort) closeServers(existing);
    if (runtime.bindToPort) {
      try {
        await this.bind(slot);
      } catch (error) {
        closeServers(slot);
        throw error;
      }
    }
    else for (const a of runtime.addresses) a.boundPort = a.port;
    if (existing) closeServers(existing);
    existing?.runtime.close();
    this.slots.set(runtime.name, slot);
    return runtime;
  }

  /** LDS removal: stops accepting on the listener; its open connections run to completion. */
  remove(name: string): boolean {
    const slot = this.slots.get(name);
    if (slot) closeServers(slot);
    slot?.runtime.close();
    return this.slots.delete(name);
  }

  /** Binds every address of the listener, or none. */
  private async bind(slot: Slot): Promise<void> {
    const listener = slot.runtime;
    const inherited = this.inheritedSocket?.(listener);
    if (this.inheritedSocket && !inherited) throw new ConfigError(`listener "${listener.name}": no socket was handed over for ${hostPort(listener.address, listener.port)}`);
    const [primary, ...additional] = listener.addresses;
    slot.server = await this.bindAddress(slot, primary!, inherited);
    // Workers are handed the primary socket only; the main process accepts on the additional ones.
    // Their ports still count for hand-off lookups in the worker (a port of 0 is not looked up).
    if (this.inheritedSocket) {
      for (const a of additional) a.boundPort = a.port;
      return;
    }
    slot.extraServers = [];
    for (const a of additional) slot.extraServers.push(await this.bindAddress(slot, a, undefined));
  }

  private bindAddress(slot: Slot, address: ListenerAddress, inherited: net.Server | undefined): Promise<net.Server> {
    const listener = slot.runtime;
    const where = hostPort(address.address, address.port);
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
        reject(new ConfigError(`listener "${listener.name}": cannot bind ${where}: ${error.code ?? error.message}`)),
      );
      const listening = () => {
        server.removeAllListeners('error');
        server.on('error', () => undefined);
        try {
          // An inherited socket is the same kernel socket: it has the option already.
          if (listener.transparent && !inherited) setTransparent(server);
        } catch (error) {
          server.close();
          reject(new ConfigError(`listener "${listener.name}": cannot set IP_TRANSPARENT on ${where}: ${(error as Error).message}`));
          return;
        }
        address.boundPort = (server.address() as net.AddressInfo).port;
        resolve(server);
      };
      if (inherited) server.listen(inherited, listener.backlog ?? 511, listening);
      else server.listen({ host: address.address, port: address.port, ipv6Only: address.ipv6Only, backlog: listener.backlog }, listening);
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

  /** Envoy's lookup by original destination: an exact ip:port on any listener address, else a wildcard of the destination's family. */
  listenerFor(destination: Endpoint): ListenerRuntime | undefined {
    const d = destinationOf(destination);
    let wildcard: ListenerRuntime | undefined;
    for (const { runtime: l } of this.slots.values()) {
      for (const a of l.addresses) {
        const owns = ownsDestination(a, d);
        if (owns === 2) return l;
        if (owns === 1) wildcard ??= l;
      }
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
    for (const slot of this.slots.values()) closeServers(slot);
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
