// Renders rule lists as iptables-restore input, the format --dry-run prints and
// a real run feeds to `iptables-restore --noflush`.
import { BUILTIN_CHAINS } from './constants.js';
import type { Rule } from './rule-builder.js';

export function ruleLine(rule: Rule): string {
  const head = rule.insertAt === undefined ? ['-A', rule.chain] : ['-I', rule.chain, String(rule.insertAt)];
  return [...head, ...rule.params.map(quoteArg)].join(' ');
}

/** iptables-restore splits on whitespace and honours double quotes. */
export function quoteArg(arg: string): string {
  return /^[^\s"']+$/.test(arg) ? arg : `"${arg.replace(/(["\\])/g, '\\$1')}"`;
}

export function jumpTarget(rule: Rule): string | undefined {
  const at = rule.params.indexOf('-j');
  return at >= 0 ? rule.params[at + 1] : undefined;
}

/**
 * Tables in sorted order; in each, `-N` for the chains the rules use (built-in
 * chains excepted) in order of first use, then the rules in generation order,
 * then COMMIT. Empty input renders as the empty string.
 */
export function renderRestore(rules: readonly Rule[]): string {
  const tables = new Map<string, { chains: string[]; lines: string[] }>();
  for (const rule of rules) {
    let table = tables.get(rule.table);
    if (!table) {
      table = { chains: [], lines: [] };
      tables.set(rule.table, table);
    }
    if (!BUILTIN_CHAINS.has(rule.chain) && !table.chains.includes(rule.chain)) table.chains.push(rule.chain);
    table.lines.push(ruleLine(rule));
  }
  // A chain that is only jumped to (no rules of its own) must still exist.
  for (const rule of rules) {
    const target = jumpTarget(rule);
    const table = tables.get(rule.table)!;
    if (target !== undefined && target.startsWith('ISTIO_') && !table.chains.includes(target)) table.chains.push(target);
  }
  const out: string[] = [];
  for (const name of [...tables.keys()].sort()) {
    const table = tables.get(name)!;
    out.push(`* ${name}`, ...table.chains.map((chain) => `-N ${chain}`), ...table.lines, 'COMMIT');
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
