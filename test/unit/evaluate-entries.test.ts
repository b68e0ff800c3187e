import { describe, expect, it } from 'vitest';
import { EntryEvaluator, evaluateEntries, V4PrefixSet, type EvaluationRules } from '../../src/core/evaluate-entries.js';
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

describe('duplicates, IPv4 by number and IPv6 by text', () => {
  it('words a repeated IPv4 or IPv6 prefix the same way, with the canonical text', () => {
    const r = evaluateEntries(
      [list('61.4.12.7'), list('2400:cb00::/32'), list('61.4.12.7/32'), list('2400:CB00:0::/32'), { op: 'delist', prefix: '::ffff:61.4.12.7/128' }],
      rules,
    );
    expect(r.acceptedIndexes).toEqual([0, 1]);
    expect(r.refused).toEqual([
      { index: 2, code: 'PREFIX_DUPLICATE', reason: '61.4.12.7/32 already appeared earlier in this batch', prefixText: '61.4.12.7/32' },
      { index: 3, code: 'PREFIX_DUPLICATE', reason: '2400:cb00::/32 already appeared earlier in this batch', prefixText: '2400:cb00::/32' },
      { index: 4, code: 'PREFIX_DUPLICATE', reason: '61.4.12.7/32 already appeared earlier in this batch', prefixText: '61.4.12.7/32' },
    ]);
  });

  it('tells apart prefixes that share a start or a length, and the top of the address space', () => {
    const texts = ['61.4.0.0/16', '61.4.0.0/24', '61.4.0.0/32', '0.0.0.0/0', '0.0.0.0/32', '255.255.255.255/32', '128.0.0.0/1', '128.0.0.0/32', '61.5.0.0/16'];
    const delists = texts.map((prefix) => ({ op: 'delist', prefix }));
    const r = evaluateEntries([...delists, ...delists], rules);
    expect(r.acceptedIndexes).toEqual(texts.map((_, i) => i));
    expect(r.refused.map((x) => [x.index, x.prefixText])).toEqual(texts.map((text, i) => [texts.length + i, text]));
  });

  it('finds every repeat among many prefixes, across the set\'s growth', () => {
    const evaluator = new EntryEvaluator(rules.policy);
    const texts: string[] = [];
    for (let i = 0; i < 30_000; i++) texts.push(`${(i * 7919) % 224}.${i & 255}.${(i >> 8) & 255}.${(i * 31) & 255}/32`);
    const expected = new Set<string>();
    let index = 0;
    for (const text of [...texts, ...texts.slice(0, 5_000)]) {
      const first = !expected.has(text);
      expected.add(text);
      const refusedBefore = evaluator.refused.length;
      evaluator.evaluate({ op: 'delist', prefix: text }, index++);
      expect(evaluator.refused.length - refusedBefore).toBe(first ? 0 : 1);
    }
    expect(evaluator.refused.every((x) => x.code === 'PREFIX_DUPLICATE')).toBe(true);
  });
});

describe('V4PrefixSet', () => {
  it('answers as a Set of (start, length) pairs would', () => {
    const set = new V4PrefixSet();
    const reference = new Set<string>();
    let seed = 99;
    for (let i = 0; i < 100_000; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      // Few distinct values, so that many adds repeat, at the extremes of start too.
      const start = [0, 0xffffffff, 0x80000000, 0x7fffffff][seed & 3]! ^ (seed >>> 20);
      const length = (seed >>> 2) % 33;
      const key = `${start >>> 0}/${length}`;
      expect(set.add(start >>> 0, length)).toBe(!reference.has(key));
      reference.add(key);
    }
    expect(reference.size).toBeGreaterThan(20_000);
  });
});
