// A directory of Kubernetes YAML as the registry (pilot-discovery's --configDir):
// every *.yaml, *.yml and *.json file below it, multi-document, watched for changes.
import { readdirSync, readFileSync, statSync, watch } from 'node:fs';
import type { Dirent, FSWatcher } from 'node:fs';
import path from 'node:path';
import { documentLabel, parseYamlDocuments } from '../kube/index.js';

export class RegistryError extends Error {}

type Obj = Record<string, unknown>;

function files(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...files(full));
    else if (/\.(ya?ml|json)$/i.test(entry.name)) out.push(full);
  }
  return out;
}

/** All objects in the directory; a file that does not parse is an error naming it and the document. */
export function loadRegistryDir(dir: string): Obj[] {
  let stat;
  try {
    stat = statSync(dir);
  } catch {
    throw new RegistryError(`--configDir ${dir}: no such directory`);
  }
  if (!stat.isDirectory()) throw new RegistryError(`--configDir ${dir}: not a directory`);
  const objects: Obj[] = [];
  for (const file of files(dir)) {
    let docs;
    try {
      docs = parseYamlDocuments(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new RegistryError(`${path.relative(dir, file)}: ${(error as Error).message}`);
    }
    for (const doc of docs) {
      const value = doc.value as Obj | null;
      if (value === null || typeof value !== 'object') continue;
      const items = value['kind'] === 'List' && Array.isArray(value['items']) ? (value['items'] as Obj[]) : [value];
      for (const item of items) {
        if (typeof item['kind'] !== 'string') throw new RegistryError(`${path.relative(dir, file)}: ${documentLabel(doc)}: the object has no kind`);
        objects.push(item);
      }
    }
  }
  return objects;
}

/**
 * Calls back (debounced: 100 ms after the last change, at most 1 s after the first)
 * whenever something below the directory changes.
 *
 * Each directory gets its own (non-recursive) watch: Node's recursive watch on Linux
 * watches files one by one, so a file replaced by a rename (how the runtime and
 * editors write atomically) is seen once and never again. A directory's own watch sees
 * every entry created, renamed over, written or removed in it.
 */
export function watchRegistryDir(dir: string, onChange: () => void, debounceMs = 100, maxDelayMs = 1000): () => void {
  let timer: NodeJS.Timeout | undefined;
  let first = 0;
  const fire = () => {
    timer = undefined;
    first = 0;
    onChange();
  };
  const changed = () => {
    const now = Date.now();
    if (first === 0) first = now;
    if (timer) clearTimeout(timer);
    timer = setTimeout(fire, Math.max(0, Math.min(debounceMs, first + maxDelayMs - now)));
  };
  const watchers = new Map<string, FSWatcher>();
  // Directories come and go (registry/config/ appears with the first apply): watch what is there now.
  const refresh = () => {
    const present = new Set(directoriesBelow(dir));
    for (const [d, w] of watchers) {
      if (present.has(d)) continue;
      w.close();
      watchers.delete(d);
    }
    for (const d of present) {
      if (watchers.has(d)) continue;
      try {
        const w = watch(d, () => {
          refresh();
          changed();
        });
        w.on('error', () => {
          w.close();
          watchers.delete(d);
        });
        watchers.set(d, w);
      } catch {
        // Removed meanwhile: its parent's watch reports that.
      }
    }
  };
  refresh();
  return () => {
    if (timer) clearTimeout(timer);
    for (const w of watchers.values()) w.close();
    watchers.clear();
  };
}

/** The directory and every directory below it. */
function directoriesBelow(dir: string): string[] {
  const out = [dir];
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) if (entry.isDirectory()) out.push(...directoriesBelow(path.join(dir, entry.name)));
  return out;
}
