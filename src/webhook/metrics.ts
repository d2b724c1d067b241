// The injector's Prometheus metrics under Istio's names (sidecar_injection_*), with the skip
// reason as a label so that "why was my pod not injected" has an answer on a dashboard.
import type { ReviewOutcome } from './review.js';

/** Seconds; the API server gives up at timeoutSeconds (10 s by default), so the tail matters up to there. */
export const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type FailureReason = 'bad_request' | 'injection_error' | 'body_too_large' | 'timeout' | 'internal';
export type ReloadKind = 'config' | 'certificate';

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export class WebhookMetrics {
  requests = 0;
  injections = 0;
  /** Read when rendering: answers served from the review cache. */
  cacheHits: () => number = () => 0;
  private readonly skips = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  private readonly reloads = new Map<string, number>();
  private readonly bucketCounts = new Array<number>(latencyBuckets.length).fill(0);
  private latencySum = 0;
  private latencyCount = 0;

  recordOutcome(outcome: ReviewOutcome): void {
    if (outcome.result === 'injected') this.injections++;
    else if (outcome.result === 'skipped') this.skips.set(outcome.reason, (this.skips.get(outcome.reason) ?? 0) + 1);
    else this.recordFailure('injection_error');
  }

  recordFailure(reason: FailureReason): void {
    this.failures.set(reason, (this.failures.get(reason) ?? 0) + 1);
  }

  recordReload(kind: ReloadKind, ok: boolean): void {
    const key = `${kind}\u0000${ok ? 'success' : 'failure'}`;
    this.reloads.set(key, (this.reloads.get(key) ?? 0) + 1);
  }

  observeLatency(seconds: number): void {
    this.latencySum += seconds;
    this.latencyCount++;
    for (let i = 0; i < latencyBuckets.length; i++) if (seconds <= latencyBuckets[i]!) this.bucketCounts[i]!++;
  }

  skipCount(reason: string): number {
    return this.skips.get(reason) ?? 0;
  }

  failureCount(reason: FailureReason): number {
    return this.failures.get(reason) ?? 0;
  }

  /** Prometheus text exposition format 0.0.4. */
  render(): string {
    const lines: string[] = [];
    const family = (name: string, type: string, help: string) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    family('sidecar_injection_requests_total', 'counter', 'Total number of sidecar injection requests.');
    lines.push(`sidecar_injection_requests_total ${this.requests}`);
    family('sidecar_injection_success_total', 'counter', 'Total number of successful sidecar injections (a patch was returned).');
    lines.push(`sidecar_injection_success_total ${this.injections}`);
    family('sidecar_injection_skip_total', 'counter', 'Total number of requests admitted without injection, by reason.');
    for (const [reason, count] of [...this.skips].sort()) lines.push(`sidecar_injection_skip_total{reason="${escapeLabel(reason)}"} ${count}`);
    family('sidecar_injection_failure_total', 'counter', 'Total number of failed requests, by reason.');
    for (const [reason, count] of [...this.failures].sort()) lines.push(`sidecar_injection_failure_total{reason="${escapeLabel(reason)}"} ${count}`);
    family('sidecar_injection_reloads_total', 'counter', 'Reloads of the injection config and of the serving certificate, by result.');
    for (const [key, count] of [...this.reloads].sort()) {
      const [kind, result] = key.split('\u0000') as [string, string];
      lines.push(`sidecar_injection_reloads_total{kind="${kind}",result="${result}"} ${count}`);
    }
    family('sidecar_injection_cache_hits_total', 'counter', 'Requests answered from the cache of identical requests (pods of one ReplicaSet).');
    lines.push(`sidecar_injection_cache_hits_total ${this.cacheHits()}`);
    family('sidecar_injection_time_seconds', 'histogram', 'Time to answer an injection request, from the full body to the response.');
    latencyBuckets.forEach((le, i) => lines.push(`sidecar_injection_time_seconds_bucket{le="${le}"} ${this.bucketCounts[i]}`));
    lines.push(`sidecar_injection_time_seconds_bucket{le="+Inf"} ${this.latencyCount}`);
    lines.push(`sidecar_injection_time_seconds_sum ${this.latencySum}`);
    lines.push(`sidecar_injection_time_seconds_count ${this.latencyCount}`);
    return `${lines.join('\n')}\n`;
  }
}
