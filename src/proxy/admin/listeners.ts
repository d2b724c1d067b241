// Envoy's /listeners: "name::address" lines, or envoy.admin.v3.Listeners JSON.
import type { ListenerRuntime } from '../listener.js';

function hostPort(l: ListenerRuntime): string {
  return l.address.includes(':') ? `[${l.address}]:${l.boundPort}` : `${l.address}:${l.boundPort}`;
}

export function renderListenersText(listeners: readonly ListenerRuntime[]): string {
  return listeners.map((l) => `${l.name}::${hostPort(l)}\n`).join('');
}

export function renderListenersJson(listeners: readonly ListenerRuntime[]): object {
  return {
    listener_statuses: listeners.map((l) => ({
      name: l.name,
      local_address: { socket_address: { address: l.address, port_value: l.boundPort } },
    })),
  };
}
