import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/core/backoff.js';

const rules = { baseMs: 1_000, maxMs: 60_000 };

describe('backoffDelay', () => {
  it('is 0 before any failure', () => {
    expect(backoffDelay(0, rules, 0.5)).toBe(0);
    expect(backoffDelay(-1, rules, 0.99)).toBe(0);
  });

  it('doubles per failure, between half and all of the exponential step', () => {
    for (let failures = 1; failures <= 6; failures++) {
      const exp = 1_000 * 2 ** (failures - 1);
      expect(backoffDelay(failures, rules, 0)).toBe(exp / 2);
      expect(backoffDelay(failures, rules, 0.5)).toBe((3 * exp) / 4);
      const high = backoffDelay(failures, rules, 0.999999);
      expect(high).toBeLessThanOrEqual(exp);
      expect(high).toBeGreaterThan((3 * exp) / 4);
    }
  });

  it('stays within [exp/2, exp] for any random in [0, 1)', () => {
    for (const failures of [1, 2, 5, 9]) {
      const exp = Math.min(60_000, 1_000 * 2 ** (failures - 1));
      for (let i = 0; i < 100; i++) {
        const d = backoffDelay(failures, rules, i / 100);
        expect(d).toBeGreaterThanOrEqual(exp / 2);
        expect(d).toBeLessThanOrEqual(exp);
      }
    }
  });

  it('is capped at maxMs however many failures', () => {
    expect(backoffDelay(7, rules, 0)).toBe(30_000);
    for (const failures of [7, 8, 20, 31, 100, 10_000]) {
      expect(backoffDelay(failures, rules, 0.999999)).toBeLessThanOrEqual(60_000);
      expect(backoffDelay(failures, rules, 0)).toBe(30_000);
    }
    expect(Number.isFinite(backoffDelay(1e9, { baseMs: 1_000, maxMs: Number.MAX_SAFE_INTEGER }, 0.5))).toBe(true);
  });

  it('grows monotonically for a fixed random draw', () => {
    let last = 0;
    for (let failures = 1; failures <= 12; failures++) {
      const d = backoffDelay(failures, rules, 0.3);
      expect(d).toBeGreaterThanOrEqual(last);
      last = d;
    }
  });
});
