// Collects iptables rules per IP family the way istio-iptables does: a rule is
// appended (-A) or inserted at a position (-I), for IPv4, IPv6 or both, and a
// "versioned" rule names an address that differs between the two families.
import type { Table } from './constants.js';

export interface Rule {
  table: Table;
  chain: string;
  /** 1-based position for -I; absent for -A. */
  insertAt?: number;
  /** iptables arguments after the chain (and position), e.g. ['-p', 'tcp', '-j', 'RETURN']. */
  params: string[];
}

export interface RuleSet {
  v4: Rule[];
  v6: Rule[];
}

/** Stands for the family's own address in a versioned rule. */
export const VERSIONED = Symbol('versioned-address');
type Param = string | typeof VERSIONED;

export class RuleBuilder {
  private readonly v4: Rule[] = [];
  private readonly v6: Rule[] = [];

  append(table: Table, chain: string, ...params: string[]): this {
    return this.appendV4(table, chain, ...params).appendV6(table, chain, ...params);
  }

  appendV4(table: Table, chain: string, ...params: string[]): this {
    this.v4.push({ table, chain, params });
    return this;
  }

  appendV6(table: Table, chain: string, ...params: string[]): this {
    this.v6.push({ table, chain, params });
    return this;
  }

  /** Appends to both families, the VERSIONED placeholder replaced by each family's address. */
  appendVersioned(v4Address: string, v6Address: string, table: Table, chain: string, ...params: Param[]): this {
    this.appendV4(table, chain, ...params.map((p) => (p === VERSIONED ? v4Address : p)));
    return this.appendV6(table, chain, ...params.map((p) => (p === VERSIONED ? v6Address : p)));
  }

  insert(table: Table, chain: string, position: number, ...params: string[]): this {
    return this.insertV4(table, chain, position, ...params).insertV6(table, chain, position, ...params);
  }

  insertV4(table: Table, chain: string, position: number, ...params: string[]): this {
    this.v4.push({ table, chain, insertAt: position, params });
    return this;
  }

  insertV6(table: Table, chain: string, position: number, ...params: string[]): this {
    this.v6.push({ table, chain, insertAt: position, params });
    return this;
  }

  build(): RuleSet {
    return { v4: [...this.v4], v6: [...this.v6] };
  }
}

/**
 * The order rules end up in once every -A and -I has run against chains that
 * start empty: what iptables-save will list, chain by chain.
 */
export function finalChains(rules: readonly Rule[]): Map<string, Rule[]> {
  const chains = new Map<string, Rule[]>();
  for (const rule of rules) {
    const key = `${rule.table}:${rule.chain}`;
    const list = chains.get(key) ?? [];
    if (rule.insertAt === undefined) list.push(rule);
    else list.splice(Math.min(rule.insertAt - 1, list.length), 0, rule);
    chains.set(key, list);
  }
  return chains;
}
