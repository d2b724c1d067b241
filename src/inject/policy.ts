// Whether a pod gets a sidecar: Istio's injectRequired. The pod's own label or
// annotation decides first; then the ConfigMap's neverInjectSelector and
// alwaysInjectSelector; then the policy (enabled: inject by default).
import { IgnoredNamespaces, Label, Annotation } from './constants.js';

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export type InjectionPolicy = 'enabled' | 'disabled';

export interface PolicyConfig {
  policy: InjectionPolicy;
  neverInjectSelector: LabelSelector[];
  alwaysInjectSelector: LabelSelector[];
}

export type InjectDecision = { inject: true } | { inject: false; reason: string };

function selectorIsEmpty(selector: LabelSelector): boolean {
  return Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
}

/** Kubernetes label selector semantics; an empty selector matches nothing here, as in Istio. */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  if (selectorIsEmpty(selector)) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, req.key);
    const value = labels[req.key];
    switch (req.operator) {
      case 'In':
        if (!has || !(req.values ?? []).includes(value!)) return false;
        break;
      case 'NotIn':
        if (has && (req.values ?? []).includes(value!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

export function injectRequired(
  pod: { namespace?: string; labels: Readonly<Record<string, string>>; annotations: Readonly<Record<string, string>>; hostNetwork?: boolean },
  config: PolicyConfig,
  ignoredNamespaces: readonly string[] = IgnoredNamespaces,
): InjectDecision {
  if (pod.hostNetwork) return { inject: false, reason: 'host networking is enabled' };
  if (pod.namespace !== undefined && ignoredNamespaces.includes(pod.namespace)) {
    return { inject: false, reason: `namespace ${pod.namespace} is never injected` };
  }
  // The label is the newer API and wins over the annotation.
  let selector = pod.annotations[Annotation.SidecarInject] ?? '';
  if (Object.prototype.hasOwnProperty.call(pod.labels, Label.SidecarInject)) selector = pod.labels[Label.SidecarInject]!;
  let useDefault = false;
  let inject = false;
  switch (selector.toLowerCase()) {
    case 'y':
    case 'yes':
    case 'true':
    case 'on':
      inject = true;
      break;
    case '':
      useDefault = true;
      break;
  }
  if (useDefault && config.neverInjectSelector.some((s) => selectorMatches(s, pod.labels))) {
    return { inject: false, reason: 'the pod matches neverInjectSelector' };
  }
  if (useDefault && config.alwaysInjectSelector.some((s) => selectorMatches(s, pod.labels))) return { inject: true };
  if (!useDefault) return inject ? { inject: true } : { inject: false, reason: `${Label.SidecarInject} is "${selector}"` };
  return config.policy === 'enabled' ? { inject: true } : { inject: false, reason: 'the injection policy is disabled' };
}
