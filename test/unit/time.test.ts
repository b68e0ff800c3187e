import { describe, expect, it } from 'vitest';
import { DAY_MS, formatTimestamp, parseTimestamp } from '../../src/core/time.js';

describe('parseTimestamp', () => {
  it('reads RFC 3339 UTC timestamps with Z, with or without fractions', () => {
    expect(parseTimestamp('2026-11-22T10:15:00Z')).toBe(Date.UTC(2026, 10, 22, 10, 15, 0));
    expect(parseTimestamp('2026-11-22T10:15:00.123Z')).toBe(Date.UTC(2026, 10, 22, 10, 15, 0, 123));
    expect(parseTimestamp('2026-11-22T10:15:00.5Z')).toBe(Date.UTC(2026, 10, 22, 10, 15, 0, 500));
    expect(parseTimestamp('1970-01-01T00:00:00Z')).toBe(0);
    expect(parseTimestamp('2028-02-29T23:59:59Z')).toBe(Date.UTC(2028, 1, 29, 23, 59, 59));
  });

  it.each([
    '2026-11-22T10:15:00+00:00',
    '2026-11-22T19:15:00+09:00',
    '2026-11-22T10:15:00',
    '2026-11-22 10:15:00Z',
    '2026-11-22',
    '2026-11-22T10:15Z',
    '2026-13-01T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-11-32T00:00:00Z',
    '2026-11-22T24:00:00Z',
    '2026-11-22T10:60:00Z',
    '26-11-22T10:15:00Z',
    ' 2026-11-22T10:15:00Z',
    '2026-11-22T10:15:00Z ',
    '2026-11-22T10:15:00.Z',
    '2026-11-22T10:15:00.1234567890Z',
    '',
  ])('refuses %j', (text) => {
    expect(parseTimestamp(text)).toBeUndefined();
  });

  it.each(['2026-02-29T00:00:00Z', '2026-02-30T00:00:00Z', '2026-02-31T00:00:00Z', '2026-04-31T00:00:00Z', '2100-02-29T00:00:00Z'])(
    'refuses the day that does not exist in %s (RFC 3339 §5.7) rather than rolling it over',
    (text) => {
      expect(parseTimestamp(text)).toBeUndefined();
    },
  );

  it.each([1_795_342_500_000, null, undefined, {}, ['2026-11-22T10:15:00Z']])('refuses the non-string %j', (value) => {
    expect(parseTimestamp(value)).toBeUndefined();
  });

  it('answers the same from its recent slots, its cache and a first parse, for equal strings made apart', () => {
    // Texts built at run time, as JSON.parse makes them: equal content, different strings.
    const make = (ms: number): string => new Date(ms).toISOString();
    const times = Array.from({ length: 9 }, (_, i) => Date.UTC(2026, 10, 22, 10, 15, i, 100 + i));
    for (let round = 0; round < 3; round++) {
      // More distinct texts than slots, in turns that hit and miss the slots.
      for (const ms of [...times, ...times.slice(0, 3), ...times.slice(0, 3).reverse(), times[8]!, times[0]!]) expect(parseTimestamp(make(ms))).toBe(ms);
    }
    expect(parseTimestamp('1970-01-01T00:00:00Z')).toBe(0);
  });

  it('does not remember a refusal in a slot', () => {
    const good = '2026-11-22T10:15:00Z';
    expect(parseTimestamp(good)).toBe(Date.UTC(2026, 10, 22, 10, 15, 0));
    expect(parseTimestamp('2026-11-22T10:15:00z')).toBeUndefined();
    expect(parseTimestamp('2026-11-22T10:15:00z')).toBeUndefined();
    expect(parseTimestamp('2026-11-22T10:15:0Z')).toBeUndefined();
    expect(parseTimestamp(`${good.slice(0, 10)}T10:15:00Z`)).toBe(Date.UTC(2026, 10, 22, 10, 15, 0));
    expect(parseTimestamp('')).toBeUndefined();
  });
});

describe('formatTimestamp', () => {
  it('writes second precision unless there are milliseconds', () => {
    expect(formatTimestamp(Date.UTC(2026, 10, 22, 10, 15, 0))).toBe('2026-11-22T10:15:00Z');
    expect(formatTimestamp(Date.UTC(2026, 10, 22, 10, 15, 0, 7))).toBe('2026-11-22T10:15:00.007Z');
    expect(formatTimestamp(0)).toBe('1970-01-01T00:00:00Z');
  });

  it('round-trips with parseTimestamp', () => {
    for (const ms of [0, 1, 999, Date.UTC(2026, 10, 22, 10, 15, 0), Date.UTC(2026, 11, 22, 10, 15, 0, 250)]) {
      expect(parseTimestamp(formatTimestamp(ms))).toBe(ms);
    }
  });

  it('has a day of 86,400,000 ms', () => {
    expect(DAY_MS).toBe(24 * 60 * 60 * 1000);
  });
});
