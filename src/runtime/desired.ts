// The objects a running cluster is made of, and what `apply -f` / `delete -f` of
// workloads, Services and the rest do to them, as kubectl reports it. Pure: the
// supervisor re-plans the cluster from the result and converges to it.
import { nameOf, namespaceOf } from '../kube/index.js';
import type { KubeObject } from '../kube/index.js';
import { resourceName } from './discovery-feed.js';
import type { SourcedObject } from './manifests.js';

/** Kind, namespace and name: what makes two manifests the same object. */
export function objectKey(object: KubeObject): string {
  const kind = String(object.kind);
  return `${kind}/${kind === 'Namespace' ? '' : (namespaceOf(object) ?? 'default')}/${nameOf(object) ?? ''}`;
}

/** The object with its namespace written out, as the API server stores it. */
function stored(object: KubeObject): KubeObject {
  if (object.kind === 'Namespace') return object;
  return { ...object, metadata: { ...object.metadata, namespace: namespaceOf(object) ?? 'default' } };
}

export interface DesiredChange {
  objects: SourcedObject[];
  /** kubectl's lines: `deployment.apps/ratings-v2 created`, `service/ratings unchanged`. */
  lines: string[];
  /** Whether anything differs from before. */
  changed: boolean;
}

export function applyObjects(current: readonly SourcedObject[], applied: readonly SourcedObject[]): DesiredChange {
  const objects = [...current];
  const lines: string[] = [];
  let changed = false;
  for (const item of applied) {
    const object = stored(item.object);
    const key = objectKey(object);
    const at = objects.findIndex((o) => objectKey(o.object) === key);
    if (at < 0) {
      objects.push({ object, source: item.source });
      lines.push(`${resourceName(object)} created`);
      changed = true;
    } else if (JSON.stringify(stored(objects[at]!.object)) === JSON.stringify(object)) {
      lines.push(`${resourceName(object)} unchanged`);
    } else {
      objects[at] = { object, source: item.source };
      lines.push(`${resourceName(object)} configured`);
      changed = true;
    }
  }
  return { objects, lines, changed };
}

export function deleteObjects(current: readonly SourcedObject[], deleted: readonly SourcedObject[]): DesiredChange & { missing: string[] } {
  let objects = [...current];
  const lines: string[] = [];
  const missing: string[] = [];
  for (const item of deleted) {
    const key = objectKey(item.object);
    const [kind, name] = resourceName(item.object).split('/') as [string, string];
    if (!objects.some((o) => objectKey(o.object) === key)) {
      missing.push(`Error from server (NotFound): ${kind.replace(/^([a-z]+)/, '$1s')} "${name}" not found`);
      continue;
    }
    objects = objects.filter((o) => objectKey(o.object) !== key);
    lines.push(`${kind} "${name}" deleted`);
  }
  return { objects, lines, changed: lines.length > 0, missing };
}
