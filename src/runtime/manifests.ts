// Reading manifests as `kubectl apply -f` does: a file, or the YAML and JSON files
// of a directory (not its subdirectories), each a stream of documents; Lists are
// opened. Every object remembers where it came from, for error messages.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { documentLabel, isList, listItems, parseYamlDocuments, YamlDocumentError } from '../kube/index.js';
import type { KubeObject } from '../kube/index.js';

export interface SourcedObject {
  object: KubeObject;
  /** "samples/bookinfo/bookinfo.yaml document 3 (line 41)" */
  source: string;
}

export class ManifestError extends Error {}

const MANIFEST_FILE = /\.(ya?ml|json)$/;

export function manifestFiles(target: string): string[] {
  let stat;
  try {
    stat = statSync(target);
  } catch {
    throw new ManifestError(`-f ${target}: no such file or directory`);
  }
  if (!stat.isDirectory()) return [target];
  const files = readdirSync(target)
    .filter((f) => MANIFEST_FILE.test(f))
    .sort()
    .map((f) => path.join(target, f))
    .filter((f) => statSync(f).isFile());
  if (files.length === 0) throw new ManifestError(`-f ${target}: the directory holds no .yaml, .yml or .json files`);
  return files;
}

/** Objects of a stream of documents, with `file` naming where they came from. */
export function parseManifests(text: string, file: string): SourcedObject[] {
  const out: SourcedObject[] = [];
  let documents;
  try {
    documents = parseYamlDocuments(text);
  } catch (error) {
    if (error instanceof YamlDocumentError) throw new ManifestError(`${file} ${error.message}`);
    throw error;
  }
  for (const doc of documents) {
    const source = `${file} ${documentLabel(doc)}`;
    if (doc.value === null || doc.value === undefined) continue;
    if (typeof doc.value !== 'object' || Array.isArray(doc.value)) throw new ManifestError(`${source}: not a Kubernetes object (a map with apiVersion and kind)`);
    const object = doc.value as KubeObject;
    if (isList(object)) for (const item of listItems(object)) out.push({ object: item, source });
    else out.push({ object, source });
  }
  return out;
}

export function loadManifests(targets: readonly string[]): SourcedObject[] {
  return targets.flatMap((target) => manifestFiles(target).flatMap((file) => parseManifests(readFileSync(file, 'utf8'), file)));
}
