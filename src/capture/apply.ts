// The imperative shell of capture: reads the current state, runs the plan,
// applies each IP family atomically, and undoes partial work on failure.
import type { CaptureConfig } from './config.js';
import { detectIptables } from './backend.js';
import type { IptablesCommands } from './backend.js';
import { CommandError, run, runOrThrow } from './exec.js';
import { renderRestore } from './iptables-restore.js';
import { parseSave } from './iptables-save.js';
import { renderNft, renderNftCleanup, NFT_TABLE_PREFIX } from './nft.js';
import { cleanupScript, findFootprint, isEmpty, planFamily } from './plan.js';
import type { FamilyPlan } from './plan.js';
import type { Rule } from './rule-builder.js';
import { buildRuleSet } from './rules.js';
import { ensureRouting, removeRouting } from './tproxy-routing.js';
import { scope } from '../log/index.js';
import { ensureInboundPassthroughV6 } from './inbound-passthrough-address.js';

const log = scope('capture');

export interface CaptureRunOptions {
  dryRun?: boolean;
  cleanupOnly?: boolean;
  reconcile?: boolean;
  nftables?: boolean;
  /** Where dry-run output goes (stdout in the CLI). */
  write?: (text: string) => void;
}

export class DriftError extends Error {
  constructor(readonly differences: string[]) {
    super(
      `capture rules from an earlier run are in place and differ from this configuration:\n  - ${differences.join('\n  - ')}\n` +
        'nothing was changed; run again with --reconcile to replace them, or with --cleanup-only to remove them',
    );
    this.name = 'DriftError';
  }
}

export type CaptureOutcome = 'printed' | 'applied' | 'reconciled' | 'unchanged' | 'cleaned';

interface Family {
  name: 'IPv4' | 'IPv6';
  save: string;
  restore: string;
  rules: Rule[];
}

function families(config: CaptureConfig, cmds: IptablesCommands, includeV6: boolean): Family[] {
  const ruleSet = buildRuleSet(config);
  const list: Family[] = [{ name: 'IPv4', save: cmds.save, restore: cmds.restore, rules: ruleSet.v4 }];
  if (includeV6) list.push({ name: 'IPv6', save: cmds.save6, restore: cmds.restore6, rules: ruleSet.v6 });
  return list;
}

export async function runCapture(config: CaptureConfig, options: CaptureRunOptions = {}): Promise<CaptureOutcome> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  for (const warning of config.warnings) log.warn(warning);

  if (options.cleanupOnly) return cleanup(config, options, write);

  if (options.dryRun) {
    const ruleSet = buildRuleSet(config);
    if (options.nftables) write(renderNft(ruleSet, config.enableIpv6));
    else {
      write(renderRestore(ruleSet.v4));
      if (config.enableIpv6) write(renderRestore(ruleSet.v6));
    }
    return 'printed';
  }

  return options.nftables ? applyNft(config) : applyIptables(config, options.reconcile === true);
}

/**
 * What the rules rely on besides themselves: TPROXY's policy routing, and ::6 on lo for
 * IPv6 inbound passthrough. Returns the ip(8) commands that undo what was added.
 */
async function prepareNamespace(config: CaptureConfig): Promise<string[][]> {
  return [
    ...(config.interceptionMode === 'TPROXY' ? await ensureRouting({ mark: config.inboundTproxyMark, table: config.inboundTproxyRouteTable }, config.enableIpv6 ? ['-4', '-6'] : ['-4']) : []),
    ...(config.enableIpv6 ? await ensureInboundPassthroughV6() : []),
  ];
}

async function applyIptables(config: CaptureConfig, reconcile: boolean): Promise<CaptureOutcome> {
  const cmds = await detectIptables();
  log.info(`using ${cmds.restore} (${cmds.variant === 'default' ? 'system default' : `iptables-${cmds.variant}`})`);
  const list = families(config, cmds, config.enableIpv6);

  const planned: { family: Family; before: string; plan: FamilyPlan }[] = [];
  for (const family of list) {
    const before = await runOrThrow(family.save, []);
    planned.push({ family, before, plan: planFamily(parseSave(before), family.rules) });
  }

  const drifted = planned.filter((p) => p.plan.action === 'drift');
  if (drifted.length > 0 && !reconcile) {
    throw new DriftError(drifted.flatMap((p) => (p.plan.action === 'drift' ? p.plan.differences.map((d) => `${p.family.name}: ${d}`) : [])));
  }

  const scripts = planned.map((p) => ({
    ...p,
    script: p.plan.action === 'apply' ? p.plan.script : p.plan.action === 'drift' ? p.plan.reconcileScript : '',
  }));

  // Parse every script before any is committed, so a bad one changes nothing.
  for (const s of scripts) {
    if (s.script !== '') await runOrThrow(s.family.restore, ['--noflush', '--test'], s.script);
  }

  const undoSetup = await prepareNamespace(config);

  const committed: typeof scripts = [];
  try {
    for (const s of scripts) {
      if (s.script === '') continue;
      await runOrThrow(s.family.restore, ['--noflush'], s.script);
      committed.push(s);
    }
  } catch (error) {
    // Put back the families already changed, then the routing and the ::6 address, so the failure leaves nothing behind.
    for (const s of committed.reverse()) {
      const restored = await run(s.family.restore, [], s.before);
      if (restored.code !== 0) log.error(`could not restore the previous ${s.family.name} rules: ${restored.stderr.trim()}`);
    }
    for (const cmd of undoSetup.reverse()) await run('ip', cmd);
    throw error;
  }

  for (const s of scripts) {
    if (s.plan.action === 'in-sync') log.info(`${s.family.name}: rules already in place, nothing to do`);
    else if (s.plan.action === 'drift') log.info(`${s.family.name}: replaced rules that had drifted (${s.plan.differences.length} difference(s))`);
    else log.info(`${s.family.name}: applied ${s.family.rules.length} rules`);
  }
  if (scripts.every((s) => s.plan.action === 'in-sync') && undoSetup.length === 0) return 'unchanged';
  return scripts.some((s) => s.plan.action === 'drift') ? 'reconciled' : 'applied';
}

async function applyNft(config: CaptureConfig): Promise<CaptureOutcome> {
  const cmds = await detectIptables();
  const list = families(config, cmds, config.enableIpv6);
  for (const family of list) {
    const saved = await run(family.save, []);
    if (saved.code === 0 && !isEmpty(findFootprint(parseSave(saved.stdout), family.rules))) {
      log.warn(`${family.name}: iptables capture rules are also installed; traffic may be captured twice (remove them with --cleanup-only)`);
    }
  }
  const script = renderNft(buildRuleSet(config), config.enableIpv6);
  await runOrThrow('nft', ['--check', '-f', '-'], script);
  const undoSetup = await prepareNamespace(config);
  try {
    await runOrThrow('nft', ['-f', '-'], script);
  } catch (error) {
    for (const cmd of undoSetup.reverse()) await run('ip', cmd);
    throw error;
  }
  log.info('nftables: tables rebuilt in one transaction');
  return 'applied';
}

async function cleanup(config: CaptureConfig, options: CaptureRunOptions, write: (text: string) => void): Promise<CaptureOutcome> {
  const cmds = await detectIptables();
  // Rules in built-in chains are recognised by comparison with what a configuration
  // generates. TPROXY's mangle rules (marks, CONNMARK) are unmistakably ours, so they
  // are recognised even when --cleanup-only is run without -m TPROXY.
  const tproxyRules = buildRuleSet({ ...config, interceptionMode: 'TPROXY' });
  // Both families, whatever --ipv6 says: rules of an earlier run may be in either.
  for (const family of families(config, cmds, true)) {
    family.rules = [...family.rules, ...(family.name === 'IPv4' ? tproxyRules.v4 : tproxyRules.v6)];
    const saved = await run(family.save, []);
    if (saved.code !== 0) {
      log.debug(`${family.name}: ${family.save} unavailable, nothing to clean: ${saved.stderr.trim()}`);
      continue;
    }
    const script = cleanupScript(findFootprint(parseSave(saved.stdout), family.rules));
    if (script === '') {
      log.info(`${family.name}: no capture rules to remove`);
      continue;
    }
    if (options.dryRun) {
      write(script);
      continue;
    }
    await runOrThrow(family.restore, ['--noflush'], script);
    log.info(`${family.name}: removed capture rules`);
  }

  const tables = await run('nft', ['list', 'tables']);
  if (tables.code === 0 && tables.stdout.includes(NFT_TABLE_PREFIX)) {
    if (options.dryRun) write(renderNftCleanup());
    else {
      await runOrThrow('nft', ['-f', '-'], renderNftCleanup());
      log.info('nftables: removed capture tables');
    }
  }

  if (!options.dryRun) {
    const removed = await removeRouting({ mark: config.inboundTproxyMark, table: config.inboundTproxyRouteTable }, ['-4', '-6']).catch((error: unknown) => {
      if (error instanceof CommandError) log.warn(`could not remove TPROXY routing: ${error.message}`);
      return [];
    });
    for (const line of removed) log.info(`removed ${line}`);
  }
  return options.dryRun ? 'printed' : 'cleaned';
}
