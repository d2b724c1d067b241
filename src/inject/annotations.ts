// Validation of the annotations that steer injection, as Istio's injector does:
// a bad value stops injection with `invalid value '<v>' for annotation '<name>': <why>`.
// Port ranges ("8000:8100" or "8000-8100") are accepted where Istio refuses them.
import net from 'node:net';
import { parseQuantity } from '../kube/index.js';
import { Annotation } from './constants.js';
import { applyProxyConfig, defaultMeshConfig } from './mesh.js';

export class AnnotationError extends Error {
  constructor(
    readonly annotation: string,
    readonly value: string,
    reason: string,
  ) {
    super(`invalid value '${value}' for annotation '${annotation}': ${reason}`);
    this.name = 'AnnotationError';
  }
}

type Validator = (value: string) => string | undefined;

const items = (value: string) => value.split(',').map((s) => s.trim()).filter((s) => s !== '');

function port(text: string, allowZero = false): string | undefined {
  if (!/^\d+$/.test(text)) return `"${text}" is not a port number`;
  const n = Number(text);
  if (n > 65535 || (n === 0 && !allowZero)) return `port ${text} is out of range`;
  return undefined;
}

function portOrRange(text: string): string | undefined {
  const range = /^(\d+)\s*[:-]\s*(\d+)$/.exec(text);
  if (!range) return port(text);
  const problem = port(range[1]!) ?? port(range[2]!);
  if (problem) return problem;
  return Number(range[1]) > Number(range[2]) ? `port range "${text}" is reversed` : undefined;
}

const portList: Validator = (value) => {
  for (const item of items(value)) {
    if (item === '*') return '"*" is not allowed here';
    const problem = portOrRange(item);
    if (problem) return problem;
  }
  return undefined;
};

const portListOrAll: Validator = (value) => (items(value).includes('*') ? (items(value).length > 1 ? '"*" cannot be combined with ports' : undefined) : portList(value));

function cidr(text: string): string | undefined {
  const [address = '', prefix, extra] = text.split('/');
  const family = net.isIP(address);
  if (family === 0 || extra !== undefined) return `"${text}" is not a CIDR range`;
  if (prefix !== undefined && (!/^\d+$/.test(prefix) || Number(prefix) > (family === 4 ? 32 : 128))) return `"${text}" has an invalid prefix length`;
  return undefined;
}

const cidrList: Validator = (value) => {
  for (const item of items(value)) {
    if (item === '*') return '"*" is not allowed in an exclusion list';
    const problem = cidr(item);
    if (problem) return problem;
  }
  return undefined;
};

const cidrListOrAll: Validator = (value) => (items(value).includes('*') ? (items(value).length > 1 ? '"*" cannot be combined with ranges' : undefined) : cidrList(value));

const uint32: Validator = (value) => (/^\d+$/.test(value.trim()) && Number(value) <= 0xffffffff ? undefined : 'must be a non-negative integer');

const interfaceList: Validator = (value) => {
  for (const item of items(value)) if (!/^[^\s/:'"]{1,15}$/.test(item)) return `"${item}" is not an interface name`;
  return undefined;
};

const quantity: Validator = (value) => {
  try {
    parseQuantity(value);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
};

const validators: Record<string, Validator> = {
  [Annotation.InterceptionMode]: (v) => (['REDIRECT', 'TPROXY', 'NONE'].includes(v.toUpperCase()) ? undefined : 'must be REDIRECT, TPROXY or NONE'),
  [Annotation.IncludeOutboundIPRanges]: cidrListOrAll,
  [Annotation.ExcludeOutboundIPRanges]: cidrList,
  [Annotation.IncludeInboundPorts]: portListOrAll,
  [Annotation.ExcludeInboundPorts]: portList,
  [Annotation.IncludeOutboundPorts]: portList,
  [Annotation.ExcludeOutboundPorts]: portList,
  [Annotation.ExcludeInterfaces]: interfaceList,
  [Annotation.KubevirtInterfaces]: interfaceList,
  [Annotation.StatusPort]: (v) => port(v.trim(), true),
  [Annotation.ReadinessInitialDelaySeconds]: uint32,
  [Annotation.ReadinessPeriodSeconds]: uint32,
  [Annotation.ReadinessFailureThreshold]: uint32,
  [Annotation.ReadinessApplicationPorts]: portList,
  [Annotation.ProxyCPU]: quantity,
  [Annotation.ProxyCPULimit]: quantity,
  [Annotation.ProxyMemory]: quantity,
  [Annotation.ProxyMemoryLimit]: quantity,
  [Annotation.ProxyConfig]: (v) => {
    try {
      applyProxyConfig(v, defaultMeshConfig());
      return undefined;
    } catch (error) {
      return (error as Error).message.replace(/^proxy\.istio\.io\/config: /, '');
    }
  },
  [Annotation.RewriteAppHTTPProbers]: (v) => (['true', 'false'].includes(v.trim().toLowerCase()) ? undefined : 'must be true or false'),
};

/** Throws AnnotationError for the first annotation (in name order) whose value is invalid. */
export function validateAnnotations(annotations: Readonly<Record<string, string>>): void {
  for (const name of Object.keys(annotations).sort()) {
    const validate = validators[name];
    const value = annotations[name];
    if (!validate || value === undefined) continue;
    const problem = validate(value);
    if (problem) throw new AnnotationError(name, value, problem);
  }
}
