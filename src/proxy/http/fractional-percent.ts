// Envoy's FractionalPercent (numerator over HUNDRED, TEN_THOUSAND or MILLION) and
// the draw that decides whether one request falls inside it. The draw uses the
// proxy's injected random source, so tests can seed it.
import type { Random } from '../load-balancers/index.js';

export interface FractionalPercent {
  numerator: number;
  denominator: number;
}

export interface FractionalPercentConfig {
  numerator?: number;
  denominator?: 'HUNDRED' | 'TEN_THOUSAND' | 'MILLION';
}

const DENOMINATORS = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 } as const;

export const ALWAYS: FractionalPercent = { numerator: 100, denominator: 100 };
export const NEVER: FractionalPercent = { numerator: 0, denominator: 100 };

/** An unset percentage is `fallback` (Envoy: 0 % for faults, whose proto default is 0/100; 100 % for mirrors). */
export function compileFractionalPercent(config: FractionalPercentConfig | undefined, fallback: FractionalPercent): FractionalPercent {
  if (!config) return fallback;
  return { numerator: config.numerator ?? 0, denominator: DENOMINATORS[config.denominator ?? 'HUNDRED'] };
}

/** True for the share of requests the fraction names; a numerator at or past the denominator is 100 %. */
export function fractionSelected(fraction: FractionalPercent, random: Random): boolean {
  // 0 % and 100 % need no draw, which keeps the random sequence of other users (load balancers) unchanged.
  if (fraction.numerator <= 0) return false;
  if (fraction.numerator >= fraction.denominator) return true;
  return Math.floor(random() * fraction.denominator) < fraction.numerator;
}
