// RDS: route configurations by name, updated by the xDS client and read by the
// HTTP connection managers that name them. An update is compiled first (a bad one
// throws and changes nothing), then swapped in: requests already routed keep
// their route, new ones see the new configuration.
import { compileRouteConfig } from './route-config.js';
import type { CompiledRouteConfig } from './route-config.js';
import type { JsonObject } from '../config/proto-json.js';

export interface DynamicRouteConfig {
  name: string;
  compiled: CompiledRouteConfig;
  /** As decoded, for config_dump. */
  resource: JsonObject;
  versionInfo: string;
  lastUpdated: Date;
}

export class RouteConfigProviders {
  private readonly configs = new Map<string, DynamicRouteConfig>();

  /** Compiles and installs a route configuration (throws ConfigError, changing nothing, when it is bad). */
  update(resource: JsonObject, versionInfo: string): void {
    const name = String(resource['name'] ?? '');
    const compiled = compileRouteConfig(resource as never, `RouteConfiguration("${name}")`);
    this.configs.set(name, { name, compiled, resource, versionInfo, lastUpdated: new Date() });
  }

  remove(name: string): void {
    this.configs.delete(name);
  }

  get(name: string): CompiledRouteConfig | undefined {
    return this.configs.get(name)?.compiled;
  }

  all(): DynamicRouteConfig[] {
    return [...this.configs.values()];
  }
}
