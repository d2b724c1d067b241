// The RBAC manifest grants exactly what the Kubernetes settings source and the node check use, and is valid Kubernetes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';

const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'manifests', 'webhook', 'rbac.yaml');

test('manifests/webhook/rbac.yaml: configmaps get/list/watch in istio-system, nodes list', () => {
  const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as Record<string, any>);
  const validate: Record<string, (o: Record<string, any>) => void> = {
    Role: (o) => new Role(o).validate(),
    RoleBinding: (o) => new RoleBinding(o as ConstructorParameters<typeof RoleBinding>[0]).validate(),
    ClusterRole: (o) => new ClusterRole(o).validate(),
    ClusterRoleBinding: (o) => new ClusterRoleBinding(o as ConstructorParameters<typeof ClusterRoleBinding>[0]).validate(),
    ServiceAccount: (o) => new ServiceAccount(o).validate(),
  };
  for (const doc of docs) validate[doc['kind']]!(doc);
  const role = docs.find((d) => d['kind'] === 'Role')!;
  assert.equal(role['metadata']['namespace'], 'istio-system');
  assert.deepEqual(role['rules'], [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }]);
  assert.deepEqual(docs.find((d) => d['kind'] === 'ClusterRole')!['rules'], [{ apiGroups: [''], resources: ['nodes'], verbs: ['list'] }]);
});
