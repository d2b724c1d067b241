// SidecarTemplateData: what an injection template sees, under Go's field names.
import { goView, kubeSchema, meshSchema } from './go-view.js';
import { isObject } from './mesh.js';
import type { JsonObject } from './mesh.js';
import { valueAt } from './values.js';

export interface TemplateInputs {
  kind: string;
  apiVersion: string;
  /** The workload's name and namespace (the pod's own for a bare Pod). */
  deploymentName: string;
  deploymentNamespace: string;
  metadata: JsonObject;
  spec: JsonObject;
  proxyConfig: JsonObject;
  meshConfig: JsonObject;
  values: JsonObject;
  revision: string;
  nativeSidecars: boolean;
  proxyUID: number;
  proxyGID: number;
  compliancePolicy: string;
}

/** A struct, to the template engine, named as Istio's Go type is. */
class SidecarTemplateData {
  constructor(fields: Record<string, unknown>) {
    Object.assign(this, fields);
  }
}
class TypeMeta {
  constructor(readonly Kind: string, readonly APIVersion: string) {}
}
class NamespacedName {
  constructor(readonly Name: string, readonly Namespace: string) {}
}

/** Istio's image reference: hub/image:tag, an image that is already a full reference as is, and the -variant suffix. */
export function proxyImage(values: JsonObject, imageType: string | undefined, annotations: Readonly<Record<string, string>>): string {
  const hub = String(valueAt(values, 'global.hub') ?? '');
  const tag = String(valueAt(values, 'global.tag') ?? '');
  const image = String(valueAt(values, 'global.proxy.image') || 'proxyv2');
  const type = annotations['sidecar.istio.io/proxyImageType'] ?? imageType ?? String(valueAt(values, 'global.variant') ?? '');
  const reference = image.includes('/') ? image : `${hub}/${image}:${tag}`;
  if (type === '' || type === 'default') return reference;
  return reference.endsWith(`-${type}`) ? reference : `${reference}-${type}`;
}

export function templateData(inputs: TemplateInputs): object {
  const annotations = isObject(inputs.metadata['annotations']) ? (inputs.metadata['annotations'] as Record<string, string>) : {};
  const imageField = inputs.proxyConfig['image'];
  const imageType = isObject(imageField) && typeof imageField['imageType'] === 'string' ? imageField['imageType'] : undefined;
  const inbound = inputs.meshConfig['inboundTrafficPolicy'];
  return new SidecarTemplateData({
    TypeMeta: new TypeMeta(inputs.kind, inputs.apiVersion),
    DeploymentMeta: new NamespacedName(inputs.deploymentName, inputs.deploymentNamespace),
    ObjectMeta: goView(inputs.metadata, kubeSchema, 'ObjectMeta'),
    Spec: goView(inputs.spec, kubeSchema, 'PodSpec'),
    ProxyConfig: goView(inputs.proxyConfig, meshSchema, 'ProxyConfig'),
    MeshConfig: goView(inputs.meshConfig, meshSchema, 'MeshConfig'),
    Values: inputs.values,
    Revision: inputs.revision,
    NativeSidecars: inputs.nativeSidecars,
    ProxyImage: proxyImage(inputs.values, imageType, annotations),
    ProxyInitImage: proxyImage(
      { ...inputs.values, global: { ...(inputs.values['global'] as JsonObject), proxy: { image: String(valueAt(inputs.values, 'global.proxy_init.image') || 'proxyv2') } } },
      imageType,
      annotations,
    ),
    ProxyUID: inputs.proxyUID,
    ProxyGID: inputs.proxyGID,
    InboundTrafficPolicyMode: isObject(inbound) && typeof inbound['mode'] === 'string' ? inbound['mode'] : 'PASSTHROUGH',
    CompliancePolicy: inputs.compliancePolicy,
  });
}
