// Which pods get a sidecar in the local runtime: the webhook's rules, applied as
// the API server would call it. A pod's own `sidecar.istio.io/inject` (label or
// annotation) decides first; otherwise its namespace's `istio-injection=enabled`
// (or an `istio.io/rev` label) asks for one. Host-network pods never get one.

export type SidecarDecision = { inject: true; reason: string } | { inject: false; reason: string };

const INJECT = 'sidecar.istio.io/inject';

function truthy(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (['true', 'y', 'yes', 'on', 'enabled'].includes(v)) return true;
  if (['false', 'n', 'no', 'off', 'disabled'].includes(v)) return false;
  return undefined;
}

export function sidecarDecision(pod: { namespaceLabels: Readonly<Record<string, string>>; labels: Readonly<Record<string, string>>; annotations: Readonly<Record<string, string>>; hostNetwork: boolean }): SidecarDecision {
  if (pod.hostNetwork) return { inject: false, reason: 'the pod uses the host network' };
  const own = truthy(pod.labels[INJECT]) ?? truthy(pod.annotations[INJECT]);
  if (own === false) return { inject: false, reason: `the pod sets ${INJECT}: "false"` };
  if (own === true) return { inject: true, reason: `the pod sets ${INJECT}: "true"` };
  const nsLabel = pod.namespaceLabels['istio-injection'];
  if (nsLabel === 'enabled') return { inject: true, reason: 'its namespace is labelled istio-injection=enabled' };
  if (nsLabel === undefined && pod.namespaceLabels['istio.io/rev'] !== undefined) return { inject: true, reason: 'its namespace has an istio.io/rev label' };
  return { inject: false, reason: 'neither the pod nor its namespace asks for a sidecar' };
}
