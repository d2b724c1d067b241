// Container order after injection, as Istio arranges it.
import { EnableCoreDumpName, InitContainerName, ProxyContainerName, ValidationContainerName } from './constants.js';
import type { JsonObject } from './mesh.js';

function move(list: readonly JsonObject[], name: string, where: 'first' | 'last'): JsonObject[] {
  const match = list.filter((c) => c['name'] === name);
  const rest = list.filter((c) => c['name'] !== name);
  return where === 'first' ? [...match, ...rest] : [...rest, ...match];
}

/**
 * The proxy goes last, so that `kubectl exec` and `logs` default to the app, or
 * first when the app must wait for it (holdApplicationUntilProxyStarts). As a
 * native sidecar (an init container), it follows istio-init so that later init
 * containers are part of the mesh; otherwise istio-init runs last so that it does
 * not cut the network of the other init containers.
 */
export function reorderContainers(spec: JsonObject, holdApplicationUntilProxyStarts: boolean): JsonObject {
  const containers = (spec['containers'] ?? []) as JsonObject[];
  const initContainers = (spec['initContainers'] ?? []) as JsonObject[];
  const next: JsonObject = { ...spec, containers: move(containers, ProxyContainerName, holdApplicationUntilProxyStarts ? 'first' : 'last') };
  if (initContainers.length === 0) return next;
  let init = initContainers;
  if (init.some((c) => c['name'] === ProxyContainerName)) {
    for (const name of [EnableCoreDumpName, ProxyContainerName, ValidationContainerName, InitContainerName]) init = move(init, name, 'first');
  } else {
    init = move(init, ValidationContainerName, 'first');
    init = move(init, InitContainerName, 'last');
  }
  next['initContainers'] = init;
  return next;
}
