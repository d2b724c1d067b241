// The kubelet's thresholds: a probe's result counts only after successThreshold
// successes or failureThreshold failures in a row. A success is reported when
// it changes the verdict; a failure every time the threshold is reached again
// (a liveness failure restarts each time, a readiness one changes nothing more).

export interface ThresholdState {
  successes: number;
  failures: number;
  last?: boolean;
}

export const initialThreshold: ThresholdState = { successes: 0, failures: 0 };

export function observe(state: ThresholdState, ok: boolean, thresholds: { successThreshold: number; failureThreshold: number }): { state: ThresholdState; verdict?: boolean } {
  const successes = ok ? state.successes + 1 : 0;
  const failures = ok ? 0 : state.failures + 1;
  if (ok && successes >= thresholds.successThreshold && state.last !== true) return { state: { successes, failures, last: true }, verdict: true };
  if (!ok && failures >= thresholds.failureThreshold) return { state: { successes, failures: 0, last: false }, verdict: false };
  return { state: { successes, failures, ...(state.last === undefined ? {} : { last: state.last }) } };
}
