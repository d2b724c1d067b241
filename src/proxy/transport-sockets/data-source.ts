// Envoy's DataSource for certificates and keys: a file (read when the config is
// applied; Envoy's file watching is not implemented), inline bytes (base64 in
// the JSON form) or an inline string.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/errors.js';
import type { DataSource } from './tls-types.js';

export function readDataSource(source: DataSource, path: string): Buffer {
  if (source.filename !== undefined) {
    try {
      return readFileSync(source.filename);
    } catch (error) {
      throw new ConfigError(`cannot read ${source.filename}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, `${path}.filename`);
    }
  }
  if (source.inline_bytes !== undefined) return Buffer.from(source.inline_bytes, 'base64');
  if (source.inline_string !== undefined) return Buffer.from(source.inline_string, 'utf8');
  throw new ConfigError('a data source needs filename, inline_bytes or inline_string', path);
}
