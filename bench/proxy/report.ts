// Turns phase results into the tables the bench prints: latency (total and added over
// direct), per-proxy CPU and memory, the Outrigger/HAProxy ratios and the issue's targets.
import type { PhaseResult } from './phases.js';

export interface Targets {
  /** p90 added by the pair at the open-loop rate, ms. */
  addedP90Ms: number;
  /** Per proxy at the open-loop rate. */
  vcpu: number;
  rssBytes: number;
  /** Pair's maximum throughput over HAProxy's. */
  maxRatio: number;
}

export const ISSUE_TARGETS: Targets = { addedP90Ms: 1, vcpu: 0.1, rssBytes: 60e6, maxRatio: 0.5 };

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k]!.length)));
  const line = (cells: string[]) => cells.map((c, k) => (k === 0 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(3)}` : '-');
const signed = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${x.toFixed(3)}` : '-');
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)}`;
const ratio = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}x` : '-');
/** A ratio of two added latencies means something only when both are positive. */
const addedRatio = (a: number, b: number) => (a > 0 && b > 0 ? ratio(a / b) : '-');

/** Above this, the open-loop generator itself sent late: the machine was busy and the latencies are suspect. */
const NOISY_SEND_LAG_MS = 1;

export interface Summary {
  /** Added latency of a pair over direct at each load. */
  added(setup: string, load: 'rate' | 'max'): { p50: number; p90: number; p99: number } | undefined;
  find(setup: string, load: 'rate' | 'max'): PhaseResult | undefined;
}

export function summarize(results: PhaseResult[]): Summary {
  const find = (setup: string, load: 'rate' | 'max') => results.find((r) => r.setup === setup && r.load === load);
  return {
    find,
    added(setup, load) {
      const base = find('direct', load);
      const r = find(setup, load);
      if (!base || !r) return undefined;
      return { p50: r.p50Ms - base.p50Ms, p90: r.p90Ms - base.p90Ms, p99: r.p99Ms - base.p99Ms };
    },
  };
}

export function render(results: PhaseResult[], labels: { rate: string; max: string }, targets = ISSUE_TARGETS): string {
  const s = summarize(results);
  const out: string[] = [];
  out.push('Latency (ms; "+" is added over direct at the same load) and throughput');
  out.push(
    table(
      ['load', 'setup', 'req/s', 'errors', 'p50', 'p90', 'p99', '+p50', '+p90', '+p99', 'gen lag p99'],
      results.map((r) => {
        const a = r.setup === 'direct' ? undefined : s.added(r.setup, r.load);
        return [labels[r.load], r.setup, r.rps.toFixed(0), String(r.errors), ms(r.p50Ms), ms(r.p90Ms), ms(r.p99Ms), a ? signed(a.p50) : '', a ? signed(a.p90) : '', a ? signed(a.p99) : '', r.sendLagP99Ms !== undefined ? ms(r.sendLagP99Ms) : ''];
      }),
    ),
  );
  out.push('(gen lag: how late the open-loop generator itself sent, p99; wrk measures from its actual send)');
  const noisy = results.filter((r) => (r.sendLagP99Ms ?? 0) > NOISY_SEND_LAG_MS);
  if (noisy.length > 0) {
    out.push(`WARNING: the generator sent up to ${Math.max(...noisy.map((r) => r.sendLagP99Ms!)).toFixed(1)} ms late (p99) in ${noisy.map((r) => r.setup).join(', ')}: the machine was busy; treat those latencies as noise and re-run.`);
  }
  out.push('');
  out.push('Per process (A: client-side proxy, B: server-side proxy; CPU from /proc utime+stime, peak RSS = VmHWM)');
  const rows: string[][] = [];
  for (const r of results) {
    for (const p of [...r.proxies, r.upstream]) {
      rows.push([labels[r.load], r.setup, p.name, p.vcpu.toFixed(3), p.cpuSecondsPer1000.toFixed(4), mb(p.peakRssBytes)]);
    }
  }
  out.push(table(['load', 'setup', 'process', 'vCPU', 'CPU s/1000 req', 'peak RSS MB'], rows));

  const o = { rate: s.find('outrigger', 'rate'), max: s.find('outrigger', 'max') };
  const h = { rate: s.find('haproxy', 'rate'), max: s.find('haproxy', 'max') };
  const mean = (r: PhaseResult | undefined, f: (p: PhaseResult['proxies'][number]) => number) => (r && r.proxies.length > 0 ? r.proxies.reduce((sum, p) => sum + f(p), 0) / r.proxies.length : NaN);
  const peak = (r: PhaseResult | undefined) => (r ? Math.max(...r.proxies.map((p) => p.peakRssBytes)) : NaN);
  const none = { p50: NaN, p90: NaN, p99: NaN };
  if (o.rate && h.rate) {
    const ao = s.added('outrigger', 'rate') ?? none;
    const ah = s.added('haproxy', 'rate') ?? none;
    out.push('');
    out.push('Outrigger / HAProxy');
    out.push(
      table(
        ['measure', 'outrigger', 'haproxy', 'ratio'],
        [
          [`+p50 at ${labels.rate} (ms)`, ms(ao.p50), ms(ah.p50), addedRatio(ao.p50, ah.p50)],
          [`+p90 at ${labels.rate} (ms)`, ms(ao.p90), ms(ah.p90), addedRatio(ao.p90, ah.p90)],
          [`+p99 at ${labels.rate} (ms)`, ms(ao.p99), ms(ah.p99), addedRatio(ao.p99, ah.p99)],
          [`CPU s/1000 req per proxy at ${labels.rate}`, mean(o.rate, (p) => p.cpuSecondsPer1000).toFixed(4), mean(h.rate, (p) => p.cpuSecondsPer1000).toFixed(4), ratio(mean(o.rate, (p) => p.cpuSecondsPer1000) / mean(h.rate, (p) => p.cpuSecondsPer1000))],
          ...(o.max && h.max
            ? [
                ['max req/s of the pair', o.max.rps.toFixed(0), h.max.rps.toFixed(0), ratio(o.max.rps / h.max.rps)],
                ['CPU s/1000 req per proxy at max', mean(o.max, (p) => p.cpuSecondsPer1000).toFixed(4), mean(h.max, (p) => p.cpuSecondsPer1000).toFixed(4), ratio(mean(o.max, (p) => p.cpuSecondsPer1000) / mean(h.max, (p) => p.cpuSecondsPer1000))],
              ]
            : []),
          ['peak RSS per proxy over the run (MB)', mb(peak(o.max ?? o.rate)), mb(peak(h.max ?? h.rate)), ratio(peak(o.max ?? o.rate) / peak(h.max ?? h.rate))],
        ],
      ),
    );
  }
  if (o.rate) {
    const ao = s.added('outrigger', 'rate') ?? none;
    const check = (ok: boolean, value: number) => (Number.isNaN(value) ? 'n/a' : ok ? 'met' : 'MISSED');
    const worstVcpu = Math.max(...o.rate.proxies.map((p) => p.vcpu));
    const rateRss = peak(o.rate);
    out.push('');
    out.push('Targets (issue)');
    out.push(
      table(
        ['target', 'measured', 'verdict'],
        [
          [`+p90 of the pair at ${labels.rate} < ${targets.addedP90Ms} ms`, `${ms(ao.p90)} ms`, check(ao.p90 < targets.addedP90Ms, ao.p90)],
          [`vCPU per proxy at ${labels.rate} < ${targets.vcpu}`, worstVcpu.toFixed(3), check(worstVcpu < targets.vcpu, worstVcpu)],
          [`peak RSS per proxy at ${labels.rate} < ${mb(targets.rssBytes)} MB`, `${mb(rateRss)} MB`, check(rateRss < targets.rssBytes, rateRss)],
          ...(o.max && h.max ? [[`max req/s >= ${targets.maxRatio} x HAProxy's`, ratio(o.max.rps / h.max.rps), check(o.max.rps / h.max.rps >= targets.maxRatio, o.max.rps / h.max.rps)]] : []),
        ],
      ),
    );
  }
  return out.join('\n');
}
