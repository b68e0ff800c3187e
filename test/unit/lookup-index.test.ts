import { describe, expect, it } from 'vitest';
import { LookupIndex, type ListingFacts } from '../../src/core/lookup-index.js';
import { PrefixMap } from '../../src/core/prefix-map.js';
import { prefix } from './fixtures.js';

const key = (text: string) => prefix(text).key;

function listing(publisher: string, overrides: Partial<ListingFacts> = {}): ListingFacts {
  return {
    publisher,
    op: 'list',
    firstSeen: 1_790_000_000_000,
    lastSeen: 1_790_000_100_000,
    reports: 3,
    expires: 1_792_000_000_000,
    category: 'spam-origin',
    reason: null,
    seq: 7,
    ...overrides,
  };
}

describe('PrefixMap', () => {
  it('finds every stored prefix containing an address, shortest first, IPv4 and IPv6', () => {
    const map = new PrefixMap<string>();
    for (const p of ['61.0.0.0/8', '61.4.12.0/24', '61.4.12.7/32', '61.4.13.0/24', '0.0.0.0/0', '2400:cb00::/32', '2400:cb00:2::/47', '2400:cb00:3:2::9/128'])
      map.set(key(p), p);
    const v4 = (text: string) => {
      const out: string[] = [];
      const lengths: number[] = [];
      map.coveringV4(prefix(text).start as number, out, lengths);
      return { out, lengths };
    };
    expect(v4('61.4.12.7')).toEqual({ out: ['0.0.0.0/0', '61.0.0.0/8', '61.4.12.0/24', '61.4.12.7/32'], lengths: [0, 8, 24, 32] });
    expect(v4('61.4.12.8').out).toEqual(['0.0.0.0/0', '61.0.0.0/8', '61.4.12.0/24']);
    expect(v4('255.255.255.255').out).toEqual(['0.0.0.0/0']); // the sign bit: int32 keys
    const nibbles = (text: string) => (prefix(text).start as bigint).toString(16).padStart(32, '0');
    const v6: string[] = [];
    // A /47 ends inside a nibble: 2400:cb00:2::/47 holds 2400:cb00:2:: and 2400:cb00:3::.
    map.coveringV6(nibbles('2400:cb00:3:2::9'), v6);
    expect(v6).toEqual(['2400:cb00::/32', '2400:cb00:2::/47', '2400:cb00:3:2::9/128']);
    v6.length = 0;
    map.coveringV6(nibbles('2400:cb00:4::1'), v6);
    expect(v6).toEqual(['2400:cb00::/32']);
  });

  it('counts, replaces and deletes by store key, ignoring what is not a key', () => {
    const map = new PrefixMap<number>();
    map.set(key('61.4.12.0/24'), 1);
    map.set(key('61.4.12.0/24'), 2);
    map.set(key('2400:cb00::/32'), 3);
    map.set('not a key', 4);
    expect(map.size).toBe(2);
    expect(map.get(key('61.4.12.0/24'))).toBe(2);
    expect(map.delete(key('61.4.12.0/24'))).toBe(true);
    expect(map.delete(key('61.4.12.0/24'))).toBe(false);
    expect(map.size).toBe(1);
    const out: number[] = [];
    expect(map.coveringV4(prefix('61.4.12.1').start as number, out)).toBe(0);
  });
});

describe('LookupIndex', () => {
  it('returns the pieces, every source of every containing prefix, and refused prefixes', () => {
    const index = new LookupIndex();
    index.setListings(key('61.4.12.0/24'), [listing('cn-isc'), listing('hk-ofta', { op: 'delist', reason: 'fixed', category: null, reports: null })]);
    index.setListings(key('61.4.12.7/32'), [listing('tw-ncc', { seq: 2 ** 40 })]);
    index.setPiece(key('61.4.12.7/32'), { sources: 'cn-isc tw-ncc', expires: 1_792_000_000_000 });
    index.addRefusal(key('61.0.0.0/8'));
    const facts = index.facts(prefix('61.4.12.7'));
    expect(facts.pieces).toEqual([{ prefix: '61.4.12.7/32', sources: 'cn-isc tw-ncc', expires: 1_792_000_000_000 }]);
    expect(facts.listings).toEqual([
      { prefix: '61.4.12.0/24', sources: [listing('cn-isc'), listing('hk-ofta', { op: 'delist', reason: 'fixed', category: null, reports: null })] },
      { prefix: '61.4.12.7/32', sources: [listing('tw-ncc', { seq: 2 ** 40 })] },
    ]);
    expect(facts.refused.map((p) => p.text)).toEqual(['61.0.0.0/8']);
    expect(index.facts(prefix('61.5.0.1'))).toEqual({ pieces: [], listings: [], refused: [prefix('61.0.0.0/8')] });
  });

  it('replaces a prefix’s rows, reuses freed slots and forgets a prefix with none', () => {
    const index = new LookupIndex();
    index.setListings(key('61.4.12.0/24'), [listing('cn-isc', { reason: 'old' }), listing('hk-ofta')]);
    expect(index.size).toBe(2);
    index.setListings(key('61.4.12.0/24'), [listing('cn-isc', { op: 'delist', reason: null, firstSeen: null, lastSeen: null, expires: null })]);
    expect(index.size).toBe(1);
    expect(index.facts(prefix('61.4.12.1')).listings[0]!.sources).toEqual([
      listing('cn-isc', { op: 'delist', reason: null, firstSeen: null, lastSeen: null, expires: null }),
    ]);
    index.setListings(key('61.4.12.0/24'), []);
    expect(index.size).toBe(0);
    expect(index.facts(prefix('61.4.12.1')).listings).toEqual([]);
  });

  it('grows past its first allocation and keeps every row intact', () => {
    const index = new LookupIndex();
    for (let i = 0; i < 5000; i++) index.setListings(key(`45.${i >> 8}.${i & 255}.1`), [listing(`c${i % 7}x`, { seq: i, category: `cat${i % 3}` })]);
    expect(index.size).toBe(5000);
    for (const i of [0, 1023, 1024, 4999]) {
      expect(index.facts(prefix(`45.${i >> 8}.${i & 255}.1`)).listings[0]!.sources).toEqual([listing(`c${i % 7}x`, { seq: i, category: `cat${i % 3}` })]);
    }
  });

  it('answers for IPv6 addresses', () => {
    const index = new LookupIndex();
    index.setListings(key('2400:cb00::/32'), [listing('jp-dekyo')]);
    index.setPiece(key('2400:cb00::/32'), { sources: 'jp-dekyo', expires: 1 });
    const facts = index.facts(prefix('2400:cb00:5::1'));
    expect(facts.pieces.map((p) => p.prefix)).toEqual(['2400:cb00::/32']);
    expect(facts.listings.map((l) => l.prefix)).toEqual(['2400:cb00::/32']);
    index.deletePiece(key('2400:cb00::/32'));
    expect(index.facts(prefix('2400:cb00:5::1')).pieces).toEqual([]);
  });
});
