// Access loggers by Envoy name (envoy.access_loggers.file, .stdout, .stderr),
// built once from config. Lines go to a shared append stream per path.
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { ConfigError } from '../config/errors.js';
import type { JsonObject } from '../config/proto-json.js';
import { TYPE_URL_PREFIX } from '../config/protos.js';
import type { AccessLogInfo } from './access-log-info.js';
import { compileJsonFormat, compileTextFormat, DEFAULT_FORMAT } from './format.js';
import type { Formatter } from './format.js';

export interface AccessLogger {
  log(info: AccessLogInfo): void;
}

interface LogFormat {
  text_format?: string;
  text_format_source?: { inline_string?: string };
  json_format?: JsonObject;
}

const sinks = new Map<string, (line: string) => void>();
const files: WriteStream[] = [];

function sink(path: string): (line: string) => void {
  let write = sinks.get(path);
  if (!write) {
    if (path === '/dev/stdout') write = (line) => void process.stdout.write(line);
    else if (path === '/dev/stderr') write = (line) => void process.stderr.write(line);
    else {
      const stream = createWriteStream(path, { flags: 'a' });
      // A log that cannot be written must not take the proxy down.
      stream.on('error', () => undefined);
      files.push(stream);
      write = (line) => void stream.write(line);
    }
    sinks.set(path, write);
  }
  return write;
}

function formatter(format: LogFormat | undefined, legacy: { format?: string; json_format?: JsonObject }, path: string): Formatter {
  if (format?.json_format) return compileJsonFormat(format.json_format, `${path}.log_format.json_format`);
  if (format?.text_format !== undefined) return compileTextFormat(format.text_format, `${path}.log_format.text_format`);
  if (format?.text_format_source?.inline_string !== undefined) return compileTextFormat(format.text_format_source.inline_string, `${path}.log_format.text_format_source`);
  if (legacy.json_format) return compileJsonFormat(legacy.json_format, `${path}.json_format`);
  if (legacy.format !== undefined) return compileTextFormat(legacy.format, `${path}.format`);
  return compileTextFormat(DEFAULT_FORMAT, path);
}

const FILE = `${TYPE_URL_PREFIX}envoy.extensions.access_loggers.file.v3.FileAccessLog`;
const STDOUT = `${TYPE_URL_PREFIX}envoy.extensions.access_loggers.stream.v3.StdoutAccessLog`;
const STDERR = `${TYPE_URL_PREFIX}envoy.extensions.access_loggers.stream.v3.StderrAccessLog`;

export function buildAccessLogs(configs: readonly { name: string; typed_config?: JsonObject }[] | undefined, path: string): AccessLogger[] {
  return (configs ?? []).map((c, i) => {
    const where = `${path}[${i}]("${c.name}")`;
    const typed = (c.typed_config ?? {}) as JsonObject & { path?: string; log_format?: LogFormat; format?: string; json_format?: JsonObject };
    const type = typed['@type'] as string | undefined;
    let target: string;
    if (type === FILE) {
      if (!typed.path) throw new ConfigError('path is required', `${where}.typed_config.path`);
      target = typed.path;
    } else if (type === STDOUT) target = '/dev/stdout';
    else if (type === STDERR) target = '/dev/stderr';
    else throw new ConfigError(`access logger ${type ?? c.name} is not supported by the outrigger proxy (file, stdout and stderr are)`, where);
    const format = formatter(typed.log_format, typed, `${where}.typed_config`);
    const write = sink(target);
    return { log: (info) => write(format(info)) };
  });
}
