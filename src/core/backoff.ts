export interface BackoffRules {
  readonly baseMs: number;
  readonly maxMs: number;
}

/**
 * Delay before the next attempt after `failures` consecutive failures: exponential, capped,
 * with "equal jitter" (half fixed, half random) so that partners who failed together do not
 * retry together. `random` is in [0, 1); pass Math.random outside tests.
 */
export function backoffDelay(failures: number, rules: BackoffRules, random: number): number {
  if (failures <= 0) return 0;
  const exp = Math.min(rules.maxMs, rules.baseMs * 2 ** Math.min(failures - 1, 30));
  return Math.round(exp / 2 + (exp / 2) * random);
}
