// Istio-style logging: "<time>\t<level>\t[<scope>\t]<message>" on stderr, with
// per-scope levels set by --log_output_level=default:info,capture:debug.

export type Level = 'debug' | 'info' | 'warn' | 'error' | 'none';
const rank: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3, none: 4 };

const levels = new Map<string, Level>([['default', 'info']]);
let sink: (line: string) => void = (line) => process.stderr.write(`${line}\n`);

export class LogLevelError extends Error {}

/** Parses Istio's "scope:level,scope:level" (a bare level sets the default scope). */
export function setOutputLevels(spec: string): void {
  const parsed = new Map<string, Level>();
  for (const item of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [scope, level] = item.includes(':') ? (item.split(':', 2) as [string, string]) : ['default', item];
    if (!(level in rank)) throw new LogLevelError(`invalid value "${spec}" for --log_output_level: unknown level "${level}" (use debug, info, warn, error or none)`);
    parsed.set(scope, level as Level);
  }
  for (const [scope, level] of parsed) levels.set(scope, level);
}

/** Sends log lines elsewhere (tests); returns the previous sink. */
export function setSink(next: (line: string) => void): (line: string) => void {
  const previous = sink;
  sink = next;
  return previous;
}

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function scope(name: string): Logger {
  const emit = (level: Exclude<Level, 'none'>, message: string) => {
    const threshold = levels.get(name) ?? levels.get('default') ?? 'info';
    if (rank[level] < rank[threshold]) return;
    const prefix = name === 'default' ? '' : `${name}\t`;
    sink(`${new Date().toISOString()}\t${level}\t${prefix}${message}`);
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
  };
}
