// The control plane as a pod of the cluster, as istiod is in Kubernetes: with
// `up --discovery`, an `istiod` Deployment and Service in istio-system run
// `outrigger discovery` over the runtime's registry directory, so that proxies
// reach it as istiod.istio-system.svc (15010 xDS, 15014 monitoring) through the
// same VIPs and names as any Service. Pure: the objects to add to the manifests.
import type { KubeObject } from '../kube/index.js';

/** The runtime variable naming the registry directory inside the control plane's command. */
export const REGISTRY_VAR = 'OUTRIGGER_REGISTRY';
/** Where injected sidecars find the control plane: the istiod Service's plaintext xDS port. */
export const RUNTIME_DISCOVERY_ADDRESS = 'istiod.istio-system.svc:15010';

export function controlPlaneObjects(haveIstioSystem: boolean): KubeObject[] {
  const labels = { app: 'istiod', istio: 'pilot' };
  return [
    ...(haveIstioSystem ? [] : [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } }]),
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'istiod', namespace: 'istio-system' } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'istiod', namespace: 'istio-system', labels },
      spec: {
        selector: { app: 'istiod' },
        ports: [
          { name: 'grpc-xds', port: 15010, protocol: 'TCP' },
          { name: 'http-monitoring', port: 15014, protocol: 'TCP' },
        ],
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'istiod', namespace: 'istio-system', labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'istiod' } },
        template: {
          // The control plane never gets a sidecar.
          metadata: { labels: { ...labels, 'sidecar.istio.io/inject': 'false' } },
          spec: {
            serviceAccountName: 'istiod',
            containers: [
              {
                name: 'discovery',
                image: 'docker.io/outrigger/outrigger:latest',
                args: ['discovery', '--configDir', `$(${REGISTRY_VAR})`, '--grpcAddr', ':15010', '--monitoringAddr', ':15014'],
                ports: [
                  { name: 'grpc-xds', containerPort: 15010 },
                  { name: 'http-monitoring', containerPort: 15014 },
                ],
                readinessProbe: { httpGet: { path: '/ready', port: 15014 }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    },
  ];
}
