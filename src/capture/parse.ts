// Parsers for the values istio-iptables accepts. Each throws a CaptureConfigError
// that names the flag and the offending value, so a user can fix the command line.

export class CaptureConfigError extends Error {
  constructor(
    readonly flag: string,
    readonly value: string,
    reason: string,
  ) {
    super(`invalid value ${JSON.stringify(value)} for ${flag}: ${reason}`);
    this.name = 'CaptureConfigError';
  }
}

/** Splits Istio's comma-separated lists; blanks are dropped ("" and " " mean "none"). */
export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

export function parsePort(flag: string, value: string): number {
  const text = value.trim();
  if (!/^\d+$/.test(text)) throw new CaptureConfigError(flag, value, 'not a port number');
  const port = Number(text);
  if (port < 1 || port > 65535) throw new CaptureConfigError(flag, value, 'port out of range 1-65535');
  return port;
}

/**
 * A port or an inclusive port range. Ranges ("8000-8010" or iptables' "8000:8010")
 * are accepted in every port list, rendered as iptables "a:b" and nft "a-b".
 */
export interface PortSpec {
  from: number;
  to: number;
}

export function parsePortSpec(flag: string, value: string): PortSpec {
  const range = /^\s*(\d+)\s*[-:]\s*(\d+)\s*$/.exec(value);
  if (range) {
    const from = parsePort(flag, range[1]!);
    const to = parsePort(flag, range[2]!);
    if (from > to) throw new CaptureConfigError(flag, value, `port range is reversed (${from} > ${to})`);
    return { from, to };
  }
  const port = parsePort(flag, value);
  return { from: port, to: port };
}

/** A list of ports; `*` is refused here (used for exclusion lists and the like). */
export function parsePortList(flag: string, value: string): PortSpec[] {
  return splitList(value).map((item) => {
    if (item === '*') throw new CaptureConfigError(flag, value, '"*" is not allowed in this list');
    return parsePortSpec(flag, item);
  });
}

export type PortsOrAll = { all: true } | { all: false; ports: PortSpec[] };

/** A list of ports or `*` for every port (inbound include). */
export function parsePortsOrAll(flag: string, value: string): PortsOrAll {
  const items = splitList(value);
  if (items.includes('*')) {
    if (items.length > 1) throw new CaptureConfigError(flag, value, '"*" cannot be combined with other ports');
    return { all: true };
  }
  return { all: false, ports: items.map((item) => parsePortSpec(flag, item)) };
}

export function formatPortSpec(spec: PortSpec, separator = ':'): string {
  return spec.from === spec.to ? String(spec.from) : `${spec.from}${separator}${spec.to}`;
}

export function parseUnsigned(flag: string, value: string, max = 0xffffffff): number {
  const text = value.trim();
  let parsed: number;
  if (/^0x[0-9a-f]+$/i.test(text)) parsed = Number.parseInt(text.slice(2), 16);
  else if (/^\d+$/.test(text)) parsed = Number(text);
  else throw new CaptureConfigError(flag, value, 'not a non-negative integer');
  if (parsed > max) throw new CaptureConfigError(flag, value, `must be at most ${max}`);
  return parsed;
}

/** Owner ids for the uid/gid owner match; numeric so rules compare exactly with iptables-save. */
export function parseIdList(flag: string, value: string): string[] {
  const ids = splitList(value);
  for (const id of ids) {
    if (!/^\d+$/.test(id) || Number(id) > 0xfffffffe) {
      throw new CaptureConfigError(flag, value, `"${id}" is not a numeric user or group id`);
    }
  }
  return ids;
}

/** Group names or ids, as iptables' --gid-owner accepts both. */
export function parseGroupList(flag: string, value: string): string[] {
  const groups = splitList(value);
  for (const group of groups) {
    if (group === '*') continue;
    if (!/^(\d+|[a-z_][a-z0-9_.-]{0,31}\$?)$/i.test(group)) {
      throw new CaptureConfigError(flag, value, `"${group}" is not a group name or id`);
    }
  }
  return groups;
}

const interfaceName = /^[^\s/:'"]{1,15}$/;

export function parseInterfaceList(flag: string, value: string): string[] {
  const names = splitList(value);
  for (const name of names) {
    if (name === '*') throw new CaptureConfigError(flag, value, '"*" is not an interface name');
    if (!interfaceName.test(name) || name === '.' || name === '..') {
      throw new CaptureConfigError(flag, value, `"${name}" is not a valid interface name`);
    }
  }
  return names;
}

export function parseBool(flag: string, value: string | boolean): boolean {
  if (typeof value === 'boolean') return value;
  switch (value.trim().toLowerCase()) {
    case '':
    case 'true':
    case '1':
    case 't':
    case 'yes':
      return true;
    case 'false':
    case '0':
    case 'f':
    case 'no':
      return false;
    default:
      throw new CaptureConfigError(flag, value, 'expected true or false');
  }
}
