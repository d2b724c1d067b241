// Envoy's TLS stats, under "<scope>.ssl." — cluster.<name>.ssl.* upstream,
// listener.<address>.ssl.* downstream.
import type { Counter } from '../stats.js';

/** A stats scope (cluster.<name>, listener.<address>) to create the counters in. */
export interface CounterScope {
  counter(name: string): Counter;
}

export class SslStats {
  readonly handshake: Counter;
  readonly connection_error: Counter;
  readonly fail_verify_san: Counter;
  readonly fail_verify_error: Counter;
  readonly fail_verify_no_cert: Counter;
  readonly no_certificate: Counter;

  constructor(scope: CounterScope) {
    const c = (name: string) => scope.counter(`ssl.${name}`);
    this.handshake = c('handshake');
    this.connection_error = c('connection_error');
    this.fail_verify_san = c('fail_verify_san');
    this.fail_verify_error = c('fail_verify_error');
    this.fail_verify_no_cert = c('fail_verify_no_cert');
    this.no_certificate = c('no_certificate');
  }
}
