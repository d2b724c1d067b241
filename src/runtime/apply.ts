// `outrigger apply -f` / `delete -f` on a running cluster. For now only Istio
// configuration can change while the cluster runs: it lives in the registry
// directory one file per object, which discovery watches, so a VirtualService
// change takes effect without restarting anything. Pods, Services and the rest
// are planned once, by `up`. Pure: which files to write or remove, or why not.
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

export function configChanges(objects: readonly SourcedObject[], plan: Pick<ClusterPlan, 'namespaces'>): ConfigChange[] {
  const problems: string[] = [];
  const changes: ConfigChange[] = [];
  for (const { object, source } of objects) {
    if (!isIstioConfig(object)) {
      problems.push(`${source}: ${objectRef(object)}: only Istio configuration (*.istio.io) can be changed while the cluster runs; change the manifests and run "outrigger down" and "outrigger up" for the rest`);
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
