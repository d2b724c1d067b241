// The kubelet's crash-loop back-off: the delay before restarting a container
// doubles with every crash (10 s, 20 s, 40 s, … up to 5 minutes) and starts over
// once the container has run for a while without crashing.

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** Running this long without a crash forgets the earlier crashes. */
  resetAfterMs: number;
}

export const KUBELET_BACKOFF: BackoffPolicy = { initialMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 };

/** The delay before the next start, given the crashes in a row so far (1 for the first). */
export function restartDelay(policy: BackoffPolicy, crashesInARow: number): number {
  if (crashesInARow <= 0) return 0;
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(crashesInARow - 1, 30));
}

/** Crashes in a row after one more exit that followed `ranMs` of running. */
export function nextCrashCount(policy: BackoffPolicy, previous: number, ranMs: number): number {
  return ranMs >= policy.resetAfterMs ? 1 : previous + 1;
}
