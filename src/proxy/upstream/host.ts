// An upstream endpoint as the load balancer and the stats see it.
import type { HealthStatus } from '../config/types.js';
import type { JsonObject } from '../config/proto-json.js';

export class Host {
  /** Connections (TCP) or requests (HTTP) in flight: what LEAST_REQUEST compares. */
  activeRequests = 0;
  cxActive = 0;
  cxTotal = 0;
  cxConnectFail = 0;
  rqTotal = 0;
  rqError = 0;
  /** Set by outlier detection while the host is ejected. */
  ejected = false;
  /** The endpoint's filter_metadata "envoy.transport_socket_match": picks its transport socket. */
  transportSocketMatch: JsonObject | undefined;

  constructor(
    readonly address: string,
    readonly port: number,
    readonly weight: number = 1,
    readonly health: HealthStatus = 'UNKNOWN',
    readonly priority: number = 0,
    readonly hostname: string = '',
    readonly locality: { region?: string; zone?: string; sub_zone?: string } = {},
  ) {}

  get key(): string {
    return this.address.includes(':') ? `[${this.address}]:${this.port}` : `${this.address}:${this.port}`;
  }

  /** Envoy treats UNKNOWN (no health checking) as healthy; an ejected host is not. */
  get healthy(): boolean {
    return !this.ejected && (this.health === 'HEALTHY' || this.health === 'UNKNOWN');
  }
}
