// Field order as Kubernetes' Go types print it. Objects read from YAML keep the
// user's order, and merges append new keys at the end; reordering by the Go
// structs' field order gives output that looks like kubectl's and istioctl's and
// does not depend on the order in which fields were added (so injecting twice
// prints the same text). Maps (labels, annotations…) are sorted, as Go sorts them.

type Json = unknown;

/** Struct field orders, by type name. */
const structs: Record<string, readonly string[]> = {
  ObjectMeta: ['name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields'],
  PodSpec: ['volumes', 'initContainers', 'containers', 'ephemeralContainers', 'restartPolicy', 'terminationGracePeriodSeconds', 'activeDeadlineSeconds', 'dnsPolicy', 'nodeSelector', 'serviceAccountName', 'serviceAccount', 'automountServiceAccountToken', 'nodeName', 'hostNetwork', 'hostPID', 'hostIPC', 'shareProcessNamespace', 'securityContext', 'imagePullSecrets', 'hostname', 'subdomain', 'affinity', 'schedulerName', 'tolerations', 'hostAliases', 'priorityClassName', 'priority', 'dnsConfig', 'readinessGates', 'runtimeClassName', 'enableServiceLinks', 'preemptionPolicy', 'overhead', 'topologySpreadConstraints', 'setHostnameAsFQDN', 'os', 'hostUsers', 'schedulingGates', 'resourceClaims'],
  Container: ['name', 'image', 'command', 'args', 'workingDir', 'ports', 'envFrom', 'env', 'resources', 'resizePolicy', 'restartPolicy', 'volumeMounts', 'volumeDevices', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'terminationMessagePath', 'terminationMessagePolicy', 'imagePullPolicy', 'securityContext', 'stdin', 'stdinOnce', 'tty'],
  SecurityContext: ['capabilities', 'privileged', 'seLinuxOptions', 'windowsOptions', 'runAsUser', 'runAsGroup', 'runAsNonRoot', 'readOnlyRootFilesystem', 'allowPrivilegeEscalation', 'procMount', 'seccompProfile', 'appArmorProfile'],
  Capabilities: ['add', 'drop'],
  ContainerPort: ['name', 'hostPort', 'containerPort', 'protocol', 'hostIP'],
  Probe: ['exec', 'httpGet', 'tcpSocket', 'grpc', 'initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold', 'terminationGracePeriodSeconds'],
  HTTPGetAction: ['path', 'port', 'host', 'scheme', 'httpHeaders'],
  EnvVar: ['name', 'value', 'valueFrom'],
  VolumeMount: ['name', 'readOnly', 'recursiveReadOnly', 'mountPath', 'subPath', 'mountPropagation', 'subPathExpr'],
  ResourceRequirements: ['limits', 'requests', 'claims'],
  Volume: ['name'],
  Lifecycle: ['postStart', 'preStop', 'stopSignal'],
};

/** Which fields hold which struct, and which are maps to sort. */
const fieldTypes: Record<string, Record<string, string>> = {
  PodSpec: { initContainers: '[]Container', containers: '[]Container', ephemeralContainers: '[]Container', volumes: '[]Volume', nodeSelector: 'map' },
  ObjectMeta: { labels: 'map', annotations: 'map' },
  Container: { ports: '[]ContainerPort', env: '[]EnvVar', resources: 'ResourceRequirements', volumeMounts: '[]VolumeMount', livenessProbe: 'Probe', readinessProbe: 'Probe', startupProbe: 'Probe', securityContext: 'SecurityContext', lifecycle: 'Lifecycle' },
  SecurityContext: { capabilities: 'Capabilities' },
  Probe: { httpGet: 'HTTPGetAction' },
  ResourceRequirements: { limits: 'map', requests: 'map' },
  Lifecycle: { postStart: 'Probe', preStop: 'Probe' },
};

function isObject(value: Json): value is Record<string, Json> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function sortMap(value: Json): Json {
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, value[k]]));
}

/** Reorders a value of the named type (and the typed values inside it). */
export function canonicalOrder(value: Json, type: string): Json {
  if (type.startsWith('[]')) return Array.isArray(value) ? value.map((item) => canonicalOrder(item, type.slice(2))) : value;
  if (type === 'map') return sortMap(value);
  if (!isObject(value)) return value;
  const order = structs[type] ?? [];
  const types = fieldTypes[type] ?? {};
  const keys = [...order.filter((k) => k in value), ...Object.keys(value).filter((k) => !order.includes(k))];
  return Object.fromEntries(keys.map((k) => [k, types[k] ? canonicalOrder(value[k], types[k]!) : value[k]]));
}

/** A pod template's metadata and spec in Go's field order. */
export function canonicalPodTemplate<T extends { metadata: Json; spec: Json }>(template: T): T {
  return { ...template, metadata: canonicalOrder(template.metadata, 'ObjectMeta'), spec: canonicalOrder(template.spec, 'PodSpec') };
}
