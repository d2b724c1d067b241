// Reads an Envoy v3 bootstrap (YAML or JSON, as `envoy -c` does) and decodes it
// strictly against the real Bootstrap proto.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './errors.js';
import { decodeMessage } from './proto-json.js';
import { proxyFieldPolicy } from './support.js';
import type { FieldPolicy } from './proto-json.js';
import type { Bootstrap } from './types.js';

export const BOOTSTRAP_TYPE = 'envoy.config.bootstrap.v3.Bootstrap';

/** Parses bootstrap text; JSON is a subset of YAML, but JSON is tried first for exact error positions. */
export function parseBootstrapText(text: string, source = 'bootstrap'): unknown {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new ConfigError(`${source} is not valid JSON: ${(error as Error).message}`);
    }
  }
  try {
    // YAML 1.2 core schema: "on"/"yes" stay strings, as in Envoy's YAML loader.
    return parseYaml(text, { version: '1.2', uniqueKeys: true }) as unknown;
  } catch (error) {
    throw new ConfigError(`${source} is not valid YAML: ${(error as Error).message}`);
  }
}

export function decodeBootstrap(value: unknown, policy: FieldPolicy = proxyFieldPolicy): Bootstrap {
  if (value === null || value === undefined) throw new ConfigError('the bootstrap is empty');
  const decoded = decodeMessage(BOOTSTRAP_TYPE, value, '', { policy }) as unknown as Bootstrap;
  checkUniqueNames(decoded);
  return decoded;
}

export function loadBootstrapFile(file: string, policy: FieldPolicy = proxyFieldPolicy): Bootstrap {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read bootstrap ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return decodeBootstrap(parseBootstrapText(text, file), policy);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(`${file}: ${error.message}`);
    throw error;
  }
}

/** Envoy refuses duplicate listener and cluster names; so do we. */
function checkUniqueNames(bootstrap: Bootstrap): void {
  for (const [kind, items] of [['listeners', bootstrap.static_resources?.listeners ?? []], ['clusters', bootstrap.static_resources?.clusters ?? []]] as const) {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      if (seen.has(item.name)) throw new ConfigError(`duplicate name "${item.name}"`, `static_resources.${kind}[${i}]`);
      seen.add(item.name);
    });
  }
}
