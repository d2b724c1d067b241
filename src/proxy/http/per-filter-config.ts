// typed_per_filter_config on a route, a virtual host and a route configuration,
// compiled once by the filter that owns each entry and flattened per route: the
// most specific level's entry wins whole (Envoy does not merge them), so a
// request's filter finds its configuration with one map lookup.
import type { JsonObject } from '../config/proto-json.js';
import { perRouteFilterFactory } from './http-filter.js';
// The filters that take per-route configuration register themselves on import.
import './fault.js';

export type PerFilterConfig = ReadonlyMap<string, unknown>;

export const NO_PER_FILTER_CONFIG: PerFilterConfig = new Map();

/** Compiles one level's entries; an unknown filter type, or one without per-route configuration, is a ConfigError. */
export function compilePerFilterConfig(entries: Record<string, JsonObject> | undefined, path: string): PerFilterConfig {
  const keys = Object.keys(entries ?? {});
  if (keys.length === 0) return NO_PER_FILTER_CONFIG;
  const compiled = new Map<string, unknown>();
  for (const key of keys) {
    const where = `${path}.typed_per_filter_config["${key}"]`;
    const typed = entries![key]!;
    compiled.set(key, perRouteFilterFactory(key, typed, where).perRouteConfig(typed, where));
  }
  return compiled;
}

/** A route's view: its own entries, else its virtual host's, else the route configuration's. */
export function mostSpecific(route: PerFilterConfig, virtualHost: PerFilterConfig, routeConfig: PerFilterConfig): PerFilterConfig {
  if (virtualHost.size === 0 && routeConfig.size === 0) return route;
  if (route.size === 0 && routeConfig.size === 0) return virtualHost;
  if (route.size === 0 && virtualHost.size === 0) return routeConfig;
  return new Map([...routeConfig, ...virtualHost, ...route]);
}
