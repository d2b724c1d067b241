// The listener-filter interface and registry. A listener filter inspects a new
// connection before a filter chain is chosen — its original destination, or the
// first bytes the client sends — and records what it learned on the connection.
import { ConfigError } from '../config/errors.js';
import type { JsonObject } from '../config/proto-json.js';
import type { DownstreamConnection } from '../downstream.js';

export type ListenerFilterStatus = 'continue' | 'needData';

export interface ListenerFilter {
  /** Called once when the connection is accepted. */
  onAccept(connection: DownstreamConnection): ListenerFilterStatus;
  /** Called with everything read so far while the filter needs data; `ended` when the peer sent EOF. */
  onData?(connection: DownstreamConnection, data: Buffer, ended: boolean): ListenerFilterStatus;
}

/** Turns a typed_config into a per-connection filter maker, once per config update. */
export type ListenerFilterFactory = (typedConfig: JsonObject | undefined, path: string) => () => ListenerFilter;

interface Registration {
  names: readonly string[];
  typeUrl: string;
  factory: ListenerFilterFactory;
}

const byName = new Map<string, Registration>();
const byType = new Map<string, Registration>();

export function registerListenerFilter(registration: Registration): void {
  for (const name of registration.names) byName.set(name, registration);
  byType.set(registration.typeUrl, registration);
}

/** Finds a factory by typed_config's type (as Envoy does first) or else by name. */
export function listenerFilterFactory(name: string, typedConfig: JsonObject | undefined, path: string): () => ListenerFilter {
  const typeUrl = typedConfig?.['@type'] as string | undefined;
  const registration = typeUrl !== undefined ? byType.get(typeUrl) : byName.get(name);
  if (!registration) {
    throw new ConfigError(
      typeUrl !== undefined ? `listener filter type ${typeUrl} is not supported by the outrigger proxy` : `unknown listener filter "${name}" (supported: ${[...byName.keys()].join(', ')})`,
      path,
    );
  }
  return registration.factory(typedConfig, path);
}
