// A listener's addresses: `address` and Envoy's `additional_addresses`, which
// Istio uses for dual stack (0.0.0.0:15001 plus [::]:15001). Every address is
// bound and runs the same filter chains; use_original_dst hand-off looks a
// destination up among all of them.
import net from 'node:net';
import { parseIp, unmapIpv4 } from './cidr.js';
import { ConfigError } from './config/errors.js';
import type { Listener as ListenerConfig, SocketAddress } from './config/types.js';

export interface ListenerAddress {
  address: string;
  /** The configured port; 0 asks the kernel for one (see boundPort). */
  port: number;
  /** IPV6_V6ONLY on the bound socket. */
  ipv6Only: boolean;
  /** The port the socket got (or the configured one when the listener does not bind). */
  boundPort: number;
  /** The address as bytes, so that "fd00::2" and "fd00:0::2" are the same address. */
  readonly key: string;
}

function ipKey(text: string): string {
  const ip = parseIp(text);
  return ip ? `${ip.family}/${ip.bytes.join('.')}` : text;
}

function socketAddressOf(socket: SocketAddress | undefined, path: string): SocketAddress {
  if (!socket) throw new ConfigError('socket_address is required', path);
  if (!net.isIP(socket.address)) throw new ConfigError(`"${socket.address}" is not an IP address`, `${path}.socket_address.address`);
  return socket;
}

/** The primary address first, then the additional ones, in config order. */
export function listenerAddresses(config: ListenerConfig, path: string): ListenerAddress[] {
  const sockets = [
    socketAddressOf(config.address?.socket_address, `${path}.address`),
    ...(config.additional_addresses ?? []).map((a, i) => socketAddressOf(a.address?.socket_address, `${path}.additional_addresses[${i}].address`)),
  ];
  return sockets.map((s) => {
    const port = s.port_value ?? 0;
    // Envoy binds "::" to IPv6 only unless ipv4_compat asks for dual stack; and a dual-stack "::"
    // could not be bound next to the listener's own IPv4 address on the same port.
    const v4Sibling = sockets.some((o) => o !== s && net.isIPv4(o.address) && (o.port_value ?? 0) === port && port !== 0);
    const ipv6Only = net.isIPv6(s.address) && (!s.ipv4_compat || v4Sibling);
    return { address: s.address, port, ipv6Only, boundPort: 0, key: ipKey(s.address) };
  });
}

/** "address:port" as Envoy prints it, IPv6 in brackets. */
export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** A destination prepared once for looking it up among listener addresses. */
export interface Destination {
  address: string;
  port: number;
  key: string;
  v4: boolean;
}

export function destinationOf(endpoint: { address: string; port: number }): Destination {
  const address = unmapIpv4(endpoint.address);
  return { address, port: endpoint.port, key: ipKey(address), v4: net.isIPv4(address) };
}

/**
 * How an address owns a destination on its port: 2 exactly, 1 as the wildcard of the
 * destination's family ("::" takes IPv4 too when it is dual stack), 0 not at all.
 */
export function ownsDestination(a: ListenerAddress, d: Destination): 0 | 1 | 2 {
  if (a.boundPort !== d.port) return 0;
  if (a.key === d.key) return 2;
  if (d.v4 && (a.address === '0.0.0.0' || (a.address === '::' && !a.ipv6Only))) return 1;
  if (!d.v4 && a.address === '::') return 1;
  return 0;
}
