// `outrigger apply -f` / `delete -f` on a running cluster. Istio configuration
// lives in the registry directory one file per object, which discovery watches,
// so a VirtualService change takes effect without restarting anything; the CLI
// writes it there itself. Workloads, Services and the rest go to the supervisor,
// which re-plans the cluster and converges to it (desired.ts, converge.ts).
// Pure: which files to write or remove, or why not.
import { stringifyYamlDocuments } from '../kube/index.js';
import { nameOf, namespaceOf, objectRef } from '../kube/index.js';
import { configFileName, resourceName } from './discovery-feed.js';
import type { SourcedObject } from './manifests.js';
import { isIstioConfig } from './plan.js';
import type { ClusterPlan } from './plan.js';

export interface ConfigChange {
  file: string;
  yaml: string;
  /** `virtualservice.networking.istio.io/reviews`, as kubectl prints it. */
  resource: string;
}

export class ApplyError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

/** Istio configuration, and the objects the supervisor applies. */
export function splitApply(objects: readonly SourcedObject[]): { istio: SourcedObject[]; cluster: SourcedObject[] } {
  return { istio: objects.filter((o) => isIstioConfig(o.object)), cluster: objects.filter((o) => !isIstioConfig(o.object)) };
}

export function configChanges(objects: readonly SourcedObject[], plan: Pick<ClusterPlan, 'namespaces'>): ConfigChange[] {
  const problems: string[] = [];
  const changes: ConfigChange[] = [];
  for (const { object, source } of objects) {
    if (!isIstioConfig(object)) {
      problems.push(`${source}: ${objectRef(object)}: not Istio configuration (*.istio.io)`);
      continue;
    }
    if (nameOf(object) === undefined) {
      problems.push(`${source}: ${String(object.kind)}: metadata.name is required`);
      continue;
    }
    const namespace = namespaceOf(object) ?? 'default';
    if (!plan.namespaces.some((n) => n.name === namespace)) {
      problems.push(`${source}: ${objectRef(object)}: metadata.namespace: namespace "${namespace}" is not in the cluster`);
      continue;
    }
    const withNamespace = { ...object, metadata: { ...object.metadata, namespace } };
    changes.push({ file: configFileName(withNamespace), yaml: stringifyYamlDocuments([withNamespace]), resource: resourceName(withNamespace) });
  }
  if (problems.length > 0) throw new ApplyError(problems);
  return changes;
}
