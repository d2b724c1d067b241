// Envoy's log levels (-l, /logging) onto the "proxy" log scope; one place, so that
// workers take the same level as the main process.
import { ConfigError } from './config/errors.js';
import { setOutputLevels } from '../log/index.js';

const ENVOY_LEVELS: Record<string, string> = {
  trace: 'debug', debug: 'debug', info: 'info', warning: 'warn', warn: 'warn', error: 'error', critical: 'error', off: 'none',
};

export function setProxyLogLevel(level: string): void {
  const mapped = ENVOY_LEVELS[level];
  if (!mapped) throw new ConfigError(`invalid log level "${level}" (one of ${Object.keys(ENVOY_LEVELS).join(', ')})`);
  setOutputLevels(`proxy:${mapped}`);
}
