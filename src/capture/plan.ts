// Decides what a run of `outrigger iptables` must do in one IP family, given
// what iptables-save reports now: apply fresh rules, nothing (already in place),
// or — when other Outrigger rules are there — report drift or replace them.
// Pure: the shell runs the scripts this returns.
import { BUILTIN_CHAINS, CAPTURE_TABLES, ISTIO_CHAINS } from './constants.js';
import { jumpTarget, quoteArg, renderRestore } from './iptables-restore.js';
import { ruleKey, savedRuleKey } from './iptables-save.js';
import type { SavedRule, SavedTables } from './iptables-save.js';
import { finalChains } from './rule-builder.js';
import type { Rule } from './rule-builder.js';

const ourChains = new Set<string>(ISTIO_CHAINS);

/** What Outrigger owns in the current state: its chains and the rules in built-in chains it added. */
export interface Footprint {
  /** table → our chains present there. */
  chains: Map<string, string[]>;
  /** table → rules in built-in chains that are ours. */
  builtinRules: Map<string, SavedRule[]>;
}

function isOurBuiltinRule(rule: SavedRule, desiredKeys: Set<string>): boolean {
  if (!BUILTIN_CHAINS.has(rule.chain)) return false;
  const target = jumpTarget({ table: 'nat', chain: rule.chain, params: rule.args });
  return (target !== undefined && ourChains.has(target)) || desiredKeys.has(savedRuleKey(rule));
}

/**
 * Our chains, plus rules in built-in chains that jump to them or equal a rule
 * the given configuration would add. Rules of others are never part of it.
 */
export function findFootprint(current: SavedTables, desired: readonly Rule[]): Footprint {
  const desiredKeys = new Set(desired.filter((r) => BUILTIN_CHAINS.has(r.chain)).map((r) => `${r.table}|${ruleKey(r)}`));
  const footprint: Footprint = { chains: new Map(), builtinRules: new Map() };
  for (const table of CAPTURE_TABLES) {
    const saved = current.get(table);
    if (!saved) continue;
    const chains = saved.chains.filter((c) => ourChains.has(c));
    if (chains.length > 0) footprint.chains.set(table, chains);
    const keysHere = new Set([...desiredKeys].filter((k) => k.startsWith(`${table}|`)).map((k) => k.slice(table.length + 1)));
    const rules = saved.rules.filter((r) => isOurBuiltinRule(r, keysHere));
    if (rules.length > 0) footprint.builtinRules.set(table, rules);
  }
  return footprint;
}

export function isEmpty(footprint: Footprint): boolean {
  return footprint.chains.size === 0 && footprint.builtinRules.size === 0;
}

/** Differences between the current state and the desired rules, in words; empty when in sync. */
export function compareState(current: SavedTables, desired: readonly Rule[]): string[] {
  const differences: string[] = [];
  const footprint = findFootprint(current, desired);
  const desiredChains = finalChains(desired);

  for (const [key, rules] of desiredChains) {
    const [table, chain] = key.split(':') as [string, string];
    const want = rules.map(ruleKey);
    const saved = current.get(table);
    let have: string[];
    if (BUILTIN_CHAINS.has(chain)) {
      have = (footprint.builtinRules.get(table) ?? []).filter((r) => r.chain === chain).map(savedRuleKey);
    } else {
      if (!saved?.chains.includes(chain)) {
        differences.push(`chain ${chain} is missing from table ${table}`);
        continue;
      }
      have = saved.rules.filter((r) => r.chain === chain).map(savedRuleKey);
    }
    if (want.length !== have.length || want.some((k, i) => k !== have[i])) {
      differences.push(describeChainDifference(table, chain, want, have));
    }
  }
  // Our chains or jumps that the desired rules do not have.
  for (const [table, chains] of footprint.chains) {
    for (const chain of chains) {
      if (!desiredChains.has(`${table}:${chain}`) && !chainIsJumpTarget(desired, table, chain)) {
        differences.push(`table ${table} has chain ${chain}, which this configuration does not use`);
      }
    }
  }
  for (const [table, rules] of footprint.builtinRules) {
    for (const chain of new Set(rules.map((r) => r.chain))) {
      if (!desiredChains.has(`${table}:${chain}`)) differences.push(`table ${table} chain ${chain} has rules this configuration does not use`);
    }
  }
  return differences;
}

function chainIsJumpTarget(rules: readonly Rule[], table: string, chain: string): boolean {
  return rules.some((r) => r.table === table && jumpTarget(r) === chain);
}

function describeChainDifference(table: string, chain: string, want: string[], have: string[]): string {
  const missing = want.filter((k) => !have.includes(k)).length;
  const extra = have.filter((k) => !want.includes(k)).length;
  const parts = [];
  if (missing > 0) parts.push(`${missing} rule(s) missing`);
  if (extra > 0) parts.push(`${extra} unexpected rule(s)`);
  if (parts.length === 0) parts.push('rules in a different order');
  return `table ${table} chain ${chain}: ${parts.join(', ')}`;
}

/**
 * iptables-restore --noflush input that removes the footprint: our rules in
 * built-in chains are deleted by their exact spec, then our chains are flushed
 * and deleted. Everything else in the tables is left as it is.
 */
export function cleanupLines(footprint: Footprint): Map<string, string[]> {
  const byTable = new Map<string, string[]>();
  for (const table of CAPTURE_TABLES) {
    const lines: string[] = [];
    for (const rule of footprint.builtinRules.get(table) ?? []) lines.push(['-D', rule.chain, ...rule.args.map(quoteArg)].join(' '));
    const chains = footprint.chains.get(table) ?? [];
    for (const chain of chains) lines.push(`-F ${chain}`);
    for (const chain of chains) lines.push(`-X ${chain}`);
    if (lines.length > 0) byTable.set(table, lines);
  }
  return byTable;
}

function joinTables(parts: Map<string, string[]>[]): string {
  const tables = new Map<string, string[]>();
  for (const part of parts) {
    for (const [table, lines] of part) tables.set(table, [...(tables.get(table) ?? []), ...lines]);
  }
  const out: string[] = [];
  for (const table of [...tables.keys()].sort()) out.push(`* ${table}`, ...tables.get(table)!, 'COMMIT');
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

export function cleanupScript(footprint: Footprint): string {
  return joinTables([cleanupLines(footprint)]);
}

/**
 * Replaces our rules in one commit. iptables-nft cannot delete and re-create a
 * chain within one transaction, so chains that stay are flushed, not deleted;
 * chains no longer wanted are deleted; new ones are created.
 */
function reconcileLines(footprint: Footprint, desired: readonly Rule[]): Map<string, string[]> {
  const byTable = new Map<string, string[]>();
  let table: string | undefined;
  for (const line of renderRestore(desired).split('\n')) {
    if (line.startsWith('* ')) {
      table = line.slice(2);
      byTable.set(table, []);
    } else if (table && line !== 'COMMIT' && line !== '') {
      byTable.get(table)!.push(line);
    }
  }
  const result = new Map<string, string[]>();
  for (const t of CAPTURE_TABLES) {
    const existing = footprint.chains.get(t) ?? [];
    const creation = byTable.get(t) ?? [];
    const wanted = creation.filter((l) => l.startsWith('-N ')).map((l) => l.slice(3));
    const lines: string[] = [];
    for (const rule of footprint.builtinRules.get(t) ?? []) lines.push(['-D', rule.chain, ...rule.args.map(quoteArg)].join(' '));
    for (const chain of existing) lines.push(`-F ${chain}`);
    for (const chain of existing) if (!wanted.includes(chain)) lines.push(`-X ${chain}`);
    for (const line of creation) if (!(line.startsWith('-N ') && existing.includes(line.slice(3)))) lines.push(line);
    if (lines.length > 0) result.set(t, lines);
  }
  return result;
}

export type FamilyPlan =
  | { action: 'apply'; script: string }
  | { action: 'in-sync' }
  | { action: 'drift'; differences: string[]; reconcileScript: string };

export function planFamily(current: SavedTables, desired: readonly Rule[]): FamilyPlan {
  const footprint = findFootprint(current, desired);
  if (isEmpty(footprint)) return { action: 'apply', script: renderRestore(desired) };
  const differences = compareState(current, desired);
  if (differences.length === 0) return { action: 'in-sync' };
  // One restore input: the old rules go and the new ones come in the same commit.
  return { action: 'drift', differences, reconcileScript: joinTables([reconcileLines(footprint, desired)]) };
}

