// Policy routing for TPROXY: packets carrying the inbound mark are looked up in
// their own table, whose only route delivers everything locally via lo.
import { run, runOrThrow } from './exec.js';

export interface TproxyRouting {
  mark: number;
  table: number;
}

/** The ip(8) commands that install the routing, per family ("-4" or "-6"). */
export function routingCommands(routing: TproxyRouting, family: '-4' | '-6'): string[][] {
  const any = family === '-4' ? '0.0.0.0/0' : '::/0';
  return [
    [family, 'rule', 'add', 'fwmark', String(routing.mark), 'lookup', String(routing.table)],
    [family, 'route', 'add', 'local', any, 'dev', 'lo', 'table', String(routing.table)],
  ];
}

function hasRule(listing: string, routing: TproxyRouting): boolean {
  const mark = `0x${routing.mark.toString(16)}`;
  return listing.split('\n').some((line) => new RegExp(`fwmark (${mark}|${routing.mark})\\b.*lookup ${routing.table}\\b`).test(line));
}

/** Installs what is missing; returns the commands that undo what it added. */
export async function ensureRouting(routing: TproxyRouting, families: ('-4' | '-6')[]): Promise<string[][]> {
  const undo: string[][] = [];
  for (const family of families) {
    const [ruleCmd, routeCmd] = routingCommands(routing, family) as [string[], string[]];
    const rules = await runOrThrow('ip', [family, 'rule', 'show']);
    if (!hasRule(rules, routing)) {
      await runOrThrow('ip', ruleCmd);
      undo.push(ruleCmd.map((a) => (a === 'add' ? 'del' : a)));
    }
    const routes = await run('ip', [family, 'route', 'show', 'table', String(routing.table)]);
    if (!/^local default dev lo/m.test(routes.stdout) && !/^local (0\.0\.0\.0\/0|::\/0) dev lo/m.test(routes.stdout)) {
      await runOrThrow('ip', routeCmd);
      undo.push(routeCmd.map((a) => (a === 'add' ? 'del' : a)));
    }
  }
  return undo;
}

/** Removes the mark's rule and the table's local default route, if present. */
export async function removeRouting(routing: TproxyRouting, families: ('-4' | '-6')[]): Promise<string[]> {
  const removed: string[] = [];
  for (const family of families) {
    const [ruleCmd, routeCmd] = routingCommands(routing, family) as [string[], string[]];
    // A rule may have been added more than once; delete until none is left.
    for (let i = 0; i < 16; i++) {
      const rules = await run('ip', [family, 'rule', 'show']);
      if (rules.code !== 0 || !hasRule(rules.stdout, routing)) break;
      await runOrThrow('ip', ruleCmd.map((a) => (a === 'add' ? 'del' : a)));
      removed.push(`ip ${ruleCmd.join(' ').replace(' add ', ' del ')}`);
    }
    const del = await run('ip', routeCmd.map((a) => (a === 'add' ? 'del' : a)));
    if (del.code === 0) removed.push(`ip ${routeCmd.join(' ').replace(' add ', ' del ')}`);
  }
  return removed;
}
