// Envoy's /listeners: "name::address[,address…]" lines, or envoy.admin.v3.Listeners JSON
// (the primary address as local_address, the others as additional_local_addresses).
import type { ListenerRuntime } from '../listener.js';
import { hostPort } from '../listener-address.js';
import type { ListenerAddress } from '../listener-address.js';

function socketAddress(a: ListenerAddress): object {
  return { socket_address: { address: a.address, port_value: a.boundPort } };
}

export function renderListenersText(listeners: readonly ListenerRuntime[]): string {
  return listeners.map((l) => `${l.name}::${l.addresses.map((a) => hostPort(a.address, a.boundPort)).join(',')}\n`).join('');
}

export function renderListenersJson(listeners: readonly ListenerRuntime[]): object {
  return {
    listener_statuses: listeners.map((l) => ({
      name: l.name,
      local_address: socketAddress(l.addresses[0]!),
      ...(l.addresses.length > 1 ? { additional_local_addresses: l.addresses.slice(1).map(socketAddress) } : {}),
    })),
  };
}
