import { describe, expect, it } from 'vitest';
import { carveAllowlisted } from '../../src/core/blocklist.js';
import { PrefixSet } from '../../src/core/prefix-set.js';
import { prefixesOverlap } from '../../src/core/prefix.js';
import { addressCount, prefix } from './fixtures.js';

interface Row {
  readonly prefix: string;
  readonly sources: number;
}

const allow = (...texts: string[]): PrefixSet => new PrefixSet(texts.map(prefix));

describe('carveAllowlisted', () => {
  const rows: Row[] = [
    { prefix: '61.4.0.0/16', sources: 2 },
    { prefix: '116.31.64.0/24', sources: 1 },
    { prefix: '202.12.27.33/32', sources: 3 },
    { prefix: '2400:cb00::/32', sources: 1 },
  ];

  it('passes rows through untouched with an empty allowlist', () => {
    expect([...carveAllowlisted(rows, allow())]).toEqual(rows);
  });

  it('drops a row inside an allowlisted prefix', () => {
    const out = [...carveAllowlisted(rows, allow('202.12.27.0/24', '2400:cb00::/30'))];
    expect(out.map((r) => r.prefix)).toEqual(['61.4.0.0/16', '116.31.64.0/24']);
  });

  it('replaces a row containing allowlisted addresses by the prefixes covering the rest', () => {
    const hole = prefix('61.4.12.7');
    const out = [...carveAllowlisted(rows, allow('61.4.12.7/32'))];
    const carved = out.filter((r) => r.carvedFrom === '61.4.0.0/16');
    expect(carved).toHaveLength(16);
    for (const r of carved) {
      expect(r.sources).toBe(2);
      expect(prefixesOverlap(prefix(r.prefix), hole)).toBe(false);
    }
    expect(carved.reduce((sum, r) => sum + addressCount(prefix(r.prefix)), 0n)).toBe(65_535n);
    expect(out.filter((r) => r.carvedFrom === undefined).map((r) => r.prefix)).toEqual(['116.31.64.0/24', '202.12.27.33/32', '2400:cb00::/32']);
  });

  it('skips rows whose prefix does not parse', () => {
    const out = [...carveAllowlisted([{ prefix: 'not-a-prefix', sources: 1 }, ...rows], allow('2400:cb00::/32'))];
    expect(out.map((r) => r.prefix)).toEqual(['61.4.0.0/16', '116.31.64.0/24', '202.12.27.33/32']);
  });
});
