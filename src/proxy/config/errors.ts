/**
 * A configuration the proxy cannot accept. The message names the resource and
 * the field path (Envoy's field names), so the user can find what to change.
 */
export class ConfigError extends Error {
  constructor(
    message: string,
    /** Where in the input, e.g. `static_resources.listeners[0]("virtualOutbound").use_original_dst`. */
    readonly path: string = '',
  ) {
    super(path === '' ? message : `${path}: ${message}`);
    this.name = 'ConfigError';
  }
}
