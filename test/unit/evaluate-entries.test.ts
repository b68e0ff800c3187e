import { describe, expect, it } from 'vitest';
import { evaluateEntries, type EvaluationRules } from '../../src/core/evaluate-entries.js';
import { policy, T0 } from './fixtures.js';
import { DAY_MS, formatTimestamp } from '../../src/core/time.js';

function list(prefix: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    op: 'list',
    prefix,
    firstSeen: formatTimestamp(T0 - 3_600_000),
    lastSeen: formatTimestamp(T0),
    reports: 3,
    expires: formatTimestamp(T0 + 7 * DAY_MS),
    ...overrides,
  };
}

const rules: EvaluationRules = { policy: policy({ allow: ['202.12.27.0/24'] }), expiryCap: T0 + 30 * DAY_MS };

describe('evaluateEntries', () => {
  it('accepts good entries in order, with their batch positions', () => {
    const r = evaluateEntries([list('61.4.12.7'), list('116.31.64.0/24'), { op: 'delist', prefix: '2400:cb00::/32' }], rules);
    expect(r.refused).toEqual([]);
    expect(r.accepted.map((e) => `${e.op} ${e.prefix.text}`)).toEqual(['list 61.4.12.7/32', 'list 116.31.64.0/24', 'delist 2400:cb00::/32']);
    expect(r.acceptedIndexes).toEqual([0, 1, 2]);
  });

  it('refuses each bad entry with its code and index, keeping acceptedIndexes parallel to accepted', () => {
    const entries = [
      list('192.0.2.1'), // 0 special-purpose
      list('61.4.12.7'), // 1 ok
      'junk', // 2 malformed
      list('202.12.27.33'), // 3 allowlisted
      list('61.0.0.0/8'), // 4 too short
      list('61.4.12.7/24'), // 5 host bits
      list('116.31.64.0/24'), // 6 ok
      list('01.2.3.4'), // 7 invalid prefix
      list('2400:cb00::/32', { reports: 0 }), // 8 malformed
      { op: 'delist', prefix: '2a00:1450::/32' }, // 9 ok
    ];
    const r = evaluateEntries(entries, rules);
    expect(r.refused.map((x) => [x.index, x.code])).toEqual([
      [0, 'PREFIX_SPECIAL_PURPOSE'],
      [2, 'ENTRY_MALFORMED'],
      [3, 'PREFIX_ALLOWLISTED'],
      [4, 'PREFIX_TOO_SHORT'],
      [5, 'PREFIX_HOST_BITS'],
      [7, 'PREFIX_INVALID'],
      [8, 'ENTRY_MALFORMED'],
    ]);
    expect(r.acceptedIndexes).toEqual([1, 6, 9]);
    expect(r.accepted).toHaveLength(r.acceptedIndexes.length);
    expect(r.accepted.map((e) => e.prefix.text)).toEqual(['61.4.12.7/32', '116.31.64.0/24', '2a00:1450::/32']);
    expect(r.refused.find((x) => x.index === 3)?.prefixText).toBe('202.12.27.33/32');
  });

  it('refuses a repeated prefix as PREFIX_DUPLICATE, the first mention wins', () => {
    const r = evaluateEntries([list('61.4.12.7', { reports: 5 }), list('61.4.12.7/32', { reports: 9 }), { op: 'delist', prefix: '::ffff:61.4.12.7' }], rules);
    expect(r.accepted).toHaveLength(1);
    expect(r.accepted[0]).toMatchObject({ op: 'list', reports: 5 });
    expect(r.refused.map((x) => [x.index, x.code])).toEqual([
      [1, 'PREFIX_DUPLICATE'],
      [2, 'PREFIX_DUPLICATE'],
    ]);
  });

  it('counts a prefix refused by policy as mentioned, so a repeat is a duplicate', () => {
    const r = evaluateEntries([list('202.12.27.33'), list('202.12.27.33')], rules);
    expect(r.refused.map((x) => x.code)).toEqual(['PREFIX_ALLOWLISTED', 'PREFIX_DUPLICATE']);
  });

  it('does not count a malformed entry as a mention of its prefix', () => {
    const r = evaluateEntries([list('61.4.12.7', { reports: 'many' }), list('61.4.12.7')], rules);
    expect(r.refused.map((x) => [x.index, x.code])).toEqual([[0, 'ENTRY_MALFORMED']]);
    expect(r.acceptedIndexes).toEqual([1]);
  });

  it('lets delist entries through without local policy', () => {
    const r = evaluateEntries(
      [
        { op: 'delist', prefix: '202.12.27.33' },
        { op: 'delist', prefix: '10.0.0.0/8' },
        { op: 'delist', prefix: '61.0.0.0/8' },
      ],
      rules,
    );
    expect(r.refused).toEqual([]);
    expect(r.accepted.map((e) => e.op)).toEqual(['delist', 'delist', 'delist']);
  });

  it('caps expires at the expiry cap and leaves earlier expiries alone', () => {
    const far = T0 + 365 * DAY_MS;
    const r = evaluateEntries([list('61.4.12.7', { expires: formatTimestamp(far) }), list('116.31.64.0/24')], rules);
    expect(r.accepted[0]).toMatchObject({ op: 'list', expires: rules.expiryCap });
    expect(r.accepted[1]).toMatchObject({ op: 'list', expires: T0 + 7 * DAY_MS });
    const exact = evaluateEntries([list('61.4.12.7', { expires: formatTimestamp(rules.expiryCap) })], rules);
    expect(exact.accepted[0]).toMatchObject({ expires: rules.expiryCap });
  });

  it('handles an empty batch', () => {
    expect(evaluateEntries([], rules)).toEqual({ accepted: [], acceptedIndexes: [], refused: [] });
  });
});
