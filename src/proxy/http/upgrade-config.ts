// HTTP/1.1 upgrades (WebSocket): which ones the connection manager lets through.
// upgrade_configs on the connection manager set the default per upgrade type,
// and a route's own upgrade_configs override it (Envoy's rules); pure, so the
// decision is testable without sockets.
import { ConfigError } from '../config/errors.js';
import type { Headers } from './header-mutation.js';

export interface UpgradeConfigInput {
  upgrade_type?: string;
  enabled?: boolean;
}

/** Upgrade type (lower case) → enabled. */
export type UpgradeMap = ReadonlyMap<string, boolean>;

export const NO_UPGRADES: UpgradeMap = new Map();

/**
 * Compiles one list of upgrade_configs (connection manager or route). Types are compared without
 * case, as Envoy does, so two entries for one type are a conflict. CONNECT is its own mechanism in
 * Envoy (and with HTTP/2, extended CONNECT carries WebSockets); neither is implemented, so asking
 * for it is an error rather than a silent 403 later.
 */
export function compileUpgradeConfigs(list: readonly UpgradeConfigInput[] | undefined, path: string): UpgradeMap {
  if (!list || list.length === 0) return NO_UPGRADES;
  const map = new Map<string, boolean>();
  list.forEach((entry, i) => {
    const where = `${path}[${i}]`;
    const type = (entry.upgrade_type ?? '').toLowerCase();
    if (type === '') throw new ConfigError('upgrade_type is required', `${where}.upgrade_type`);
    if (type === 'connect') throw new ConfigError('CONNECT (and HTTP/2 extended CONNECT) is not supported by the outrigger proxy; HTTP/1.1 upgrades such as websocket are', `${where}.upgrade_type`);
    if (map.has(type)) throw new ConfigError(`upgrade_type "${entry.upgrade_type}" is configured twice`, `${where}.upgrade_type`);
    map.set(type, entry.enabled ?? true);
  });
  return map;
}

/**
 * Whether an upgrade of `type` may go upstream: a route that names the type decides (enabled or
 * not); otherwise the connection manager's entry does; a type named nowhere is refused.
 */
export function upgradeAllowed(type: string, connectionManager: UpgradeMap, route: UpgradeMap | undefined): boolean {
  const key = type.toLowerCase();
  const byRoute = route?.get(key);
  if (byRoute !== undefined) return byRoute;
  return connectionManager.get(key) === true;
}

function tokens(value: string | string[] | undefined): string[] {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  return joined.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
}

/**
 * An h2c upgrade (RFC 7540 §3.2): Envoy does not speak it and drops the upgrade, serving the
 * request as a plain HTTP/1.1 one. Only the full form counts (Upgrade: h2c, HTTP2-Settings, and
 * both named in Connection); anything less is an ordinary upgrade request of type "h2c".
 */
export function isH2cUpgrade(headers: Headers): boolean {
  const upgrade = headers['upgrade'];
  if (typeof upgrade !== 'string' || upgrade.trim().toLowerCase() !== 'h2c') return false;
  if (headers['http2-settings'] === undefined) return false;
  const connection = tokens(headers['connection']);
  return connection.includes('upgrade') && connection.includes('http2-settings');
}

/** The Connection header of an h2c request served plainly: its other tokens (close, keep-alive) kept. */
export function connectionWithoutUpgrade(value: string | string[] | undefined): string | undefined {
  const rest = tokens(value).filter((t) => t !== 'upgrade' && t !== 'http2-settings');
  return rest.length > 0 ? rest.join(', ') : undefined;
}
