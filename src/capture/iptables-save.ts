// Reads iptables-save output and reduces rules to a canonical form, so that the
// rules Outrigger asks for can be compared with what the kernel reports
// (iptables-save adds implicit matches, prints marks in hex, sorts options).
import { parseCidr } from './cidr.js';
import type { Rule } from './rule-builder.js';

export interface SavedRule {
  chain: string;
  /** Arguments after `-A CHAIN`, as iptables-save printed them. */
  args: string[];
}

export interface SavedTable {
  chains: string[];
  rules: SavedRule[];
}

export type SavedTables = Map<string, SavedTable>;

/** Splits one line into arguments, honouring double quotes as iptables-restore does. */
export function splitArgs(line: string): string[] {
  const args: string[] = [];
  let current = '';
  let inQuotes = false;
  let hasToken = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (inQuotes) {
      if (ch === '\\' && i + 1 < line.length) current += line[++i];
      else if (ch === '"') inQuotes = false;
      else current += ch;
    } else if (ch === '"') {
      inQuotes = true;
      hasToken = true;
    } else if (/\s/.test(ch)) {
      if (hasToken) args.push(current);
      current = '';
      hasToken = false;
    } else {
      current += ch;
      hasToken = true;
    }
  }
  if (hasToken) args.push(current);
  return args;
}

export function parseSave(text: string): SavedTables {
  const tables: SavedTables = new Map();
  let table: SavedTable | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      const name = line.slice(1).trim();
      table = tables.get(name) ?? { chains: [], rules: [] };
      tables.set(name, table);
    } else if (line === 'COMMIT') {
      table = undefined;
    } else if (table && line.startsWith(':')) {
      table.chains.push(line.slice(1).split(/\s+/)[0]!);
    } else if (table && line.startsWith('-A ')) {
      const args = splitArgs(line);
      table.rules.push({ chain: args[1]!, args: args.slice(2) });
    }
  }
  return tables;
}

function number(text: string): string {
  if (/^0x[0-9a-f]+$/i.test(text)) return String(Number.parseInt(text.slice(2), 16));
  return /^\d+$/.test(text) ? String(Number(text)) : text;
}

/** "0x539/0xffffffff" → "1337"; "1337/0xff" → "1337/255". */
function markValue(text: string): string {
  const [value = '', mask] = text.split('/');
  const v = number(value);
  if (mask === undefined || number(mask) === '4294967295') return v;
  return `${v}/${number(mask)}`;
}

function address(text: string): string {
  try {
    const cidr = parseCidr('address', text);
    return `${cidr.address}/${cidr.prefix}`;
  } catch {
    return text;
  }
}

const optionAliases: Record<string, string> = {
  '--source': '-s',
  '--destination': '-d',
  '--in-interface': '-i',
  '--out-interface': '-o',
  '--protocol': '-p',
  '--jump': '-j',
  '--match': '-m',
  '--to-port': '--to-ports',
  '--destination-port': '--dport',
  '--source-port': '--sport',
  '--set-mark': '--set-xmark',
};

/** Options iptables-save prints with their default values, which say nothing. */
function isDefault(option: string, value: string | undefined): boolean {
  if ((option === '--nfmask' || option === '--ctmask') && value !== undefined && number(value) === '4294967295') return true;
  if (option === '--on-ip' && (value === '0.0.0.0' || value === '::')) return true;
  return false;
}

/**
 * A rule's canonical key: the chain plus its matches and target, each as
 * "context:option=value", sorted. Implicit `-m tcp`/`-m udp` are dropped, numbers
 * and marks are decimal, addresses are CIDRs.
 */
export function canonicalKey(chain: string, args: readonly string[]): string {
  const atoms: string[] = [];
  let context = '';
  let negate = false;
  for (let i = 0; i < args.length; i++) {
    const token = args[i]!;
    if (token === '!') {
      negate = true;
      continue;
    }
    const option = optionAliases[token] ?? token;
    const not = negate ? '!' : '';
    negate = false;
    const next = args[i + 1];
    const takesValue = next !== undefined && next !== '!' && !next.startsWith('-');
    const value = takesValue ? next : undefined;
    if (takesValue) i++;
    switch (option) {
      case '-m':
        context = value ?? '';
        continue;
      case '-p':
        context = value ?? '';
        atoms.push(`${not}-p=${value}`);
        continue;
      case '-s':
      case '-d':
        atoms.push(`${not}${option}=${address(value ?? '')}`);
        continue;
      case '-i':
      case '-o':
        atoms.push(`${not}${option}=${value}`);
        continue;
      case '-j':
      case '-g':
        context = `target:${value}`;
        atoms.push(`${option}=${value}`);
        continue;
    }
    if (isDefault(option, value)) continue;
    let normalised = value ?? '';
    if (option === '--mark' || option === '--set-xmark' || option === '--tproxy-mark') normalised = markValue(normalised);
    else if (option === '--ctstate' || option === '--state') normalised = normalised.split(',').sort().join(',');
    else normalised = number(normalised);
    atoms.push(`${context}:${not}${option}${value === undefined ? '' : `=${normalised}`}`);
  }
  return `${chain} ${atoms.sort().join(' ')}`;
}

export function ruleKey(rule: Rule): string {
  return canonicalKey(rule.chain, rule.params);
}

export function savedRuleKey(rule: SavedRule): string {
  return canonicalKey(rule.chain, rule.args);
}
