// The Kubernetes API client: connection settings (in-cluster or kubeconfig), GET/list/watch,
// and an informer that keeps one collection in sync through watch reconnects and relists.
export { KubeConfigError, resolveKubeconfig, loadKubeconfig, inClusterConnection, defaultConnection, serviceAccountDir } from './connection.js';
export type { KubeConnection, ResolvedKubeconfig, Material } from './connection.js';
export { KubeClient, KubeApiError } from './client.js';
export type { KubeObject, KubeList, ObjectMeta, WatchEvent, WatchEventType, Query, KubeClientOptions } from './client.js';
export { Informer, objectKey, isPermanent, defaultBackoff } from './informer.js';
export type { InformerOptions, InformerChange, Backoff } from './informer.js';
