import { describe, expect, it } from 'vitest';
import { formatTimestamp } from '../../src/core/time.js';
import { timestampFormatter } from '../../src/serve/formats/timestamp-text.js';
import { prng } from '../bench/bench-data.js';

describe('timestampFormatter', () => {
  it('writes what formatTimestamp writes', () => {
    const format = timestampFormatter();
    const fixed = [0, 1, 999, 1000, 86_399_999, 86_400_000, -1, -86_400_001, Date.parse('2026-11-23T18:21:31.831Z'), Date.parse('2024-02-29T23:59:59Z'), 8.64e15, -8.64e15, 253_402_300_800_000];
    const next = prng(5);
    const random = Array.from({ length: 20_000 }, (_, i) => Math.floor((next() - 0.3) * 4e12) * (i % 2 ? 1 : 1000));
    for (const ms of [...fixed, ...random]) expect(format(ms), String(ms)).toBe(formatTimestamp(ms));
  });
});
