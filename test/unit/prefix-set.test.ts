import { describe, expect, it } from 'vitest';
import { prefixContains, prefixesOverlap, type Prefix } from '../../src/core/prefix.js';
import { PrefixSet, subtractPrefixes } from '../../src/core/prefix-set.js';
import { addressCount, prefix } from './fixtures.js';

const texts = (ps: readonly Prefix[]): string[] => ps.map((p) => p.text);

describe('PrefixSet.covering', () => {
  const set = new PrefixSet(['61.4.0.0/16', '61.4.12.0/24', '202.12.27.33/32', '2400:cb00::/32', '2a00:1450:4001::/48'].map(prefix));

  it('finds a member containing the prefix, the shortest first', () => {
    expect(set.covering(prefix('61.4.12.7'))?.text).toBe('61.4.0.0/16');
    expect(set.covering(prefix('61.4.200.0/24'))?.text).toBe('61.4.0.0/16');
    expect(set.covering(prefix('61.4.0.0/16'))?.text).toBe('61.4.0.0/16');
    expect(set.covering(prefix('202.12.27.33'))?.text).toBe('202.12.27.33/32');
    expect(set.covering(prefix('2400:cb00:1:2::/64'))?.text).toBe('2400:cb00::/32');
    expect(set.covering(prefix('2a00:1450:4001::200e'))?.text).toBe('2a00:1450:4001::/48');
  });

  it('finds nothing for a prefix outside every member or wider than the member', () => {
    expect(set.covering(prefix('61.5.0.1'))).toBeUndefined();
    expect(set.covering(prefix('61.0.0.0/8'))).toBeUndefined();
    expect(set.covering(prefix('202.12.27.32/31'))).toBeUndefined();
    expect(set.covering(prefix('202.12.27.34'))).toBeUndefined();
    expect(set.covering(prefix('2400:cb01::1'))).toBeUndefined();
    expect(set.covering(prefix('2a00:1450::/32'))).toBeUndefined();
  });

  it('keeps the families apart', () => {
    const v4only = new PrefixSet([prefix('0.0.0.0/0')]);
    expect(v4only.covering(prefix('2400:cb00::1'))).toBeUndefined();
    expect(v4only.covering(prefix('61.4.12.7'))?.text).toBe('0.0.0.0/0');
    const v6only = new PrefixSet([prefix('::/0')]);
    expect(v6only.covering(prefix('61.4.12.7'))).toBeUndefined();
    expect(v6only.covering(prefix('2400:cb00::1'))?.text).toBe('::/0');
  });

  it('is empty-safe and reports its size', () => {
    const empty = new PrefixSet([]);
    expect(empty.size).toBe(0);
    expect(empty.covering(prefix('61.4.12.7'))).toBeUndefined();
    expect(empty.inside(prefix('0.0.0.0/0'))).toEqual([]);
    expect(set.size).toBe(5);
  });
});

describe('PrefixSet.inside', () => {
  const set = new PrefixSet(
    ['202.12.27.33', '61.4.12.7', '61.4.200.0/24', '61.5.0.0/16', '61.4.0.0/16', '61.3.255.255', '2400:cb00::1', '2400:cb00:5::/48', '2400:cb01::/32'].map(prefix),
  );

  it('lists the members strictly inside, in address order', () => {
    expect(texts(set.inside(prefix('61.4.0.0/16')))).toEqual(['61.4.12.7/32', '61.4.200.0/24']);
    expect(texts(set.inside(prefix('61.0.0.0/8')))).toEqual(['61.3.255.255/32', '61.4.0.0/16', '61.4.12.7/32', '61.4.200.0/24', '61.5.0.0/16']);
    expect(texts(set.inside(prefix('2400:cb00::/32')))).toEqual(['2400:cb00::1/128', '2400:cb00:5::/48']);
  });

  it('does not list the prefix itself, members outside, or the other family', () => {
    expect(set.inside(prefix('61.4.12.7'))).toEqual([]);
    expect(set.inside(prefix('116.31.64.0/24'))).toEqual([]);
    expect(texts(set.inside(prefix('0.0.0.0/0')))).not.toContain('2400:cb00::1/128');
    expect(set.inside(prefix('0.0.0.0/0'))).toHaveLength(6);
    expect(set.inside(prefix('::/0'))).toHaveLength(3);
  });
});

/** Checks `pieces` is p minus the holes: disjoint, inside p, clear of every hole, right size. */
function expectExactDifference(p: Prefix, holes: Prefix[], pieces: Prefix[]): void {
  const holeSize = holes.filter((h) => prefixContains(p, h)).reduce((sum, h) => sum + addressCount(h), 0n);
  expect(pieces.reduce((sum, q) => sum + addressCount(q), 0n)).toBe(addressCount(p) - holeSize);
  for (const [i, q] of pieces.entries()) {
    expect(prefixContains(p, q)).toBe(true);
    for (const h of holes) expect(prefixesOverlap(q, h)).toBe(false);
    for (const r of pieces.slice(i + 1)) expect(prefixesOverlap(q, r)).toBe(false);
  }
}

describe('subtractPrefixes', () => {
  it('cuts one address out of an IPv4 /16 into 16 prefixes', () => {
    const p = prefix('61.4.0.0/16');
    const hole = prefix('61.4.12.7');
    const pieces = subtractPrefixes(p, [hole]);
    expect(pieces).toHaveLength(16);
    expect(pieces.reduce((sum, q) => sum + addressCount(q), 0n)).toBe(65_535n);
    for (const q of pieces) expect(prefixContains(q, hole)).toBe(false);
    expectExactDifference(p, [hole], pieces);
    expect(pieces.map((q) => q.length).sort((a, b) => a - b)).toEqual([...Array(16).keys()].map((i) => 17 + i));
    expect(texts(pieces)).toContain('61.4.128.0/17');
    expect(texts(pieces)).toContain('61.4.12.6/32');
  });

  it('returns pieces in address order', () => {
    const pieces = subtractPrefixes(prefix('61.4.0.0/16'), [prefix('61.4.12.7')]);
    const sorted = [...pieces].sort((a, b) => (a.key < b.key ? -1 : 1));
    expect(texts(pieces)).toEqual(texts(sorted));
  });

  it('cuts an IPv6 /48 out of a /32', () => {
    const p = prefix('2400:cb00::/32');
    const hole = prefix('2400:cb00:1234::/48');
    const pieces = subtractPrefixes(p, [hole]);
    expect(pieces).toHaveLength(16);
    expect(pieces.reduce((sum, q) => sum + addressCount(q), 0n)).toBe((1n << 96n) - (1n << 80n));
    expectExactDifference(p, [hole], pieces);
  });

  it('cuts one IPv6 address out of a /64 into 64 prefixes', () => {
    const p = prefix('2a00:1450:4001:81c::/64');
    const hole = prefix('2a00:1450:4001:81c::200e');
    const pieces = subtractPrefixes(p, [hole]);
    expect(pieces).toHaveLength(64);
    expectExactDifference(p, [hole], pieces);
  });

  it('cuts several holes, ignoring holes elsewhere', () => {
    const p = prefix('116.31.64.0/24');
    const holes = ['116.31.64.0/26', '116.31.64.200', '116.31.64.255', '61.4.12.7', '2400:cb00::/32'].map(prefix);
    const pieces = subtractPrefixes(p, holes);
    expectExactDifference(p, holes, pieces);
    expect(pieces.reduce((sum, q) => sum + addressCount(q), 0n)).toBe(256n - 64n - 2n);
  });

  it('returns the prefix whole when no hole touches it, and nothing when a hole covers it', () => {
    expect(texts(subtractPrefixes(prefix('61.4.0.0/16'), [prefix('61.5.0.1')]))).toEqual(['61.4.0.0/16']);
    expect(texts(subtractPrefixes(prefix('61.4.0.0/16'), []))).toEqual(['61.4.0.0/16']);
    expect(subtractPrefixes(prefix('61.4.12.0/24'), [prefix('61.4.0.0/16')])).toEqual([]);
    expect(subtractPrefixes(prefix('61.4.12.7'), [prefix('61.4.12.7')])).toEqual([]);
  });

  it('cuts the last address of the whole IPv4 space without overflowing', () => {
    const p = prefix('0.0.0.0/0');
    const hole = prefix('255.255.255.255');
    const pieces = subtractPrefixes(p, [hole]);
    expect(pieces).toHaveLength(32);
    expectExactDifference(p, [hole], pieces);
    expect(texts(pieces)).toContain('255.255.255.254/32');
  });
});
