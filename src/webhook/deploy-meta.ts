// Which workload a pod belongs to. The API server sends the pod before it has a name, so the
// injector infers the owner from its controller reference, as Istio's GetDeployMetaFromPod
// does: the templates use it for ISTIO_META_WORKLOAD_NAME and ISTIO_META_OWNER.
import { isObject } from '../inject/mesh.js';
import type { JsonObject } from '../inject/mesh.js';

export interface DeployMeta {
  name: string;
  namespace: string;
  kind: string;
  apiVersion: string;
}

// A CronJob names its Jobs <cronjob>-<scheduled time in minutes>.
const cronJobJobName = /^(.+)-\d{8,11}$/;

export function deployMetaFromPod(metadata: JsonObject): DeployMeta {
  const labels = (isObject(metadata['labels']) ? metadata['labels'] : {}) as Record<string, unknown>;
  const podName = typeof metadata['name'] === 'string' ? metadata['name'] : '';
  const meta: DeployMeta = { name: podName, namespace: String(metadata['namespace'] ?? ''), kind: 'Pod', apiVersion: 'v1' };
  // Only a generated name says a controller made the pod.
  if (typeof metadata['generateName'] === 'string' && metadata['generateName'] !== '') {
    const owners = Array.isArray(metadata['ownerReferences']) ? metadata['ownerReferences'].filter(isObject) : [];
    const controller = owners.find((ref) => ref['controller'] === true);
    if (controller) {
      meta.kind = String(controller['kind'] ?? '');
      meta.apiVersion = String(controller['apiVersion'] ?? '');
      meta.name = String(controller['name'] ?? '');
      const hash = typeof labels['pod-template-hash'] === 'string' ? labels['pod-template-hash'] : '';
      const jobName = typeof labels['job-name'] === 'string' ? labels['job-name'] : '';
      if (meta.kind === 'ReplicaSet' && hash !== '' && meta.name.endsWith(hash)) {
        meta.name = meta.name.slice(0, meta.name.length - hash.length).replace(/-$/, '');
        meta.kind = 'Deployment';
      } else if (meta.kind === 'ReplicationController' && typeof labels['deploymentconfig'] === 'string' && labels['deploymentconfig'] !== '') {
        meta.name = labels['deploymentconfig'];
        meta.kind = 'DeploymentConfig';
      } else if (meta.kind === 'Job' && cronJobJobName.test(jobName)) {
        meta.name = cronJobJobName.exec(jobName)![1]!;
        meta.kind = 'CronJob';
        meta.apiVersion = 'batch/v1';
      }
    }
  }
  if (meta.name === '') meta.name = podName;
  return meta;
}
