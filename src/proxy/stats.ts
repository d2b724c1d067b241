// Envoy-named stats. Every counter and gauge is created once, when the runtime
// object that owns it is built, and held by reference: the data path only adds
// to a number. Prometheus names and tags are worked out at creation too.

export type StatType = 'counter' | 'gauge';

export class Stat {
  value = 0;
  constructor(
    readonly type: StatType,
    /** Envoy's dotted name, e.g. "cluster.outbound|9080||ratings.upstream_cx_total". */
    readonly name: string,
    /** Prometheus name with tags extracted, e.g. "envoy_cluster_upstream_cx_total". */
    readonly promName: string,
    readonly tags: readonly (readonly [string, string])[],
  ) {}
  /** Set when the stat has ever changed (Envoy's "used" flag, for ?usedonly). */
  used = false;
  inc(by = 1): void {
    this.value += by;
    this.used = true;
  }
  dec(by = 1): void {
    this.value -= by;
    this.used = true;
  }
  set(value: number): void {
    this.value = value;
    this.used = true;
  }
}

export type Counter = Stat;
export type Gauge = Stat;

/** Prometheus metric names allow [a-zA-Z0-9_:]. */
function sanitize(name: string): string {
  return name.replace(/[^a-zA-Z0-9_:]/g, '_');
}

export class StatsStore {
  private readonly stats = new Map<string, Stat>();

  /** A scope whose stats are named "<prefix>.<name>"; `tag` extracts the middle into a Prometheus label, as Envoy's default tag extractors do. */
  scope(prefix: string, tag?: { name: string; value: string; family: string }): Scope {
    return new Scope(this, prefix, tag);
  }

  get(type: StatType, name: string, promName: string, tags: readonly (readonly [string, string])[]): Stat {
    let stat = this.stats.get(name);
    if (!stat) {
      stat = new Stat(type, name, promName, tags);
      this.stats.set(name, stat);
    }
    return stat;
  }

  counter(name: string): Counter {
    return this.get('counter', name, `envoy_${sanitize(name)}`, []);
  }

  gauge(name: string): Gauge {
    return this.get('gauge', name, `envoy_${sanitize(name)}`, []);
  }

  all(): Stat[] {
    return [...this.stats.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  find(name: string): Stat | undefined {
    return this.stats.get(name);
  }
}

export class Scope {
  constructor(
    private readonly store: StatsStore,
    private readonly prefix: string,
    private readonly tag?: { name: string; value: string; family: string },
  ) {}

  private make(type: StatType, name: string): Stat {
    const full = `${this.prefix}.${name}`;
    if (!this.tag) return this.store.get(type, full, `envoy_${sanitize(full)}`, []);
    return this.store.get(type, full, `envoy_${sanitize(`${this.tag.family}.${name}`)}`, [[this.tag.name, this.tag.value]]);
  }

  counter(name: string): Counter {
    return this.make('counter', name);
  }

  gauge(name: string): Gauge {
    return this.make('gauge', name);
  }
}

/** Envoy's stats text: "name: value", sorted. */
export function renderStatsText(stats: readonly Stat[], filter?: RegExp, usedOnly = false): string {
  let out = '';
  for (const s of stats) {
    if (usedOnly && !s.used) continue;
    if (filter && !filter.test(s.name)) continue;
    out += `${s.name}: ${s.value}\n`;
  }
  return out;
}

export function renderStatsJson(stats: readonly Stat[], filter?: RegExp, usedOnly = false): { stats: { name: string; value: number }[] } {
  return { stats: stats.filter((s) => (!usedOnly || s.used) && (!filter || filter.test(s.name))).map((s) => ({ name: s.name, value: s.value })) };
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Prometheus text exposition 0.0.4, one TYPE line per metric family, as Envoy's /stats/prometheus. */
export function renderPrometheus(stats: readonly Stat[], usedOnly = false): string {
  const families = new Map<string, Stat[]>();
  for (const s of stats) {
    if (usedOnly && !s.used) continue;
    const list = families.get(s.promName);
    if (list) list.push(s);
    else families.set(s.promName, [s]);
  }
  let out = '';
  for (const name of [...families.keys()].sort()) {
    const members = families.get(name)!;
    out += `# TYPE ${name} ${members[0]!.type}\n`;
    for (const s of members) {
      const labels = s.tags.length === 0 ? '' : `{${s.tags.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
      out += `${name}${labels} ${s.value}\n`;
    }
  }
  return out;
}
