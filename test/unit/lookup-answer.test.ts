import { describe, expect, it } from 'vitest';
import { LookupIndex, type ListingFacts } from '../../src/core/lookup-index.js';
import { PrefixSet } from '../../src/core/prefix-set.js';
import type { Policy } from '../../src/core/policy.js';
import { LookupCache } from '../../src/read/lookup-cache.js';
import { lookupAnswerJson } from '../../src/read/lookup-json.js';
import { lookupAddress } from '../../src/read/lookup-answer.js';
import type { LookupSource, RefusalRow } from '../../src/core/lookup-source.js';
import { prefix } from './fixtures.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const row = (publisher: string, o: Partial<ListingFacts> = {}): ListingFacts => ({
  publisher,
  op: 'list',
  firstSeen: NOW - 86_400_000,
  lastSeen: NOW - 3_600_000,
  reports: 2,
  expires: NOW + 86_400_000,
  category: 'spam-origin',
  reason: null,
  seq: 3,
  ...o,
});

/** An in-memory source with every kind of fact, including text that JSON must escape. */
function source(): LookupSource {
  const index = new LookupIndex();
  index.setListings(prefix('61.4.12.0/24').key, [row('cn-isc', { category: 'snow\u2603 "quoted" \\ \n' }), row('hk-ofta', { op: 'delist', reason: 'fixed "it"\u0001' })]);
  index.setListings(prefix('61.4.12.7/32').key, [row('tw-ncc', { expires: NOW - 1, reports: null, firstSeen: null })]);
  index.setPiece(prefix('61.4.12.0/24').key, { sources: 'cn-isc', expires: NOW + 86_400_000 });
  index.setListings(prefix('58.5.5.0/24').key, [row('jp-dekyo', { op: 'delist', reason: null })]);
  index.addRefusal(prefix('58.0.0.0/8').key);
  const refusals: RefusalRow[] = [{ publisher: 'hk-ofta', seq: null, prefix: '58.0.0.0/8', code: 'PREFIX_TOO_SHORT', reason: 'shorter than /16 "x"', at: NOW - 5 }];
  return { facts: (a) => index.facts(a), leafHash: (p, seq) => (p === 'tw-ncc' ? null : `leaf-${p}-${seq}`), refusals: () => refusals };
}

const policy = (allow: string[]): Policy => ({ allowlist: new PrefixSet(allow.map(prefix)) }) as unknown as Policy;

/** Origins with every kind of member: known, unknown, and a name that needs escaping. */
const originOf = ({ text }: { text: string }) =>
  text === '61.4.12.7/32'
    ? { country: 'CN', asn: 4134, asName: 'CHINANET-BACKBONE No.31,Jin-rong Street "x"', registry: 'apnic' }
    : { country: text.includes(':') ? null : 'HK', asn: null, asName: null, registry: null };

describe('lookup answers', () => {
  it('serialize exactly as JSON.stringify would, for every kind of answer', () => {
    const src = source();
    const url = (p: string, seq: number) => `https://node.example/v1/feeds/${p}/batches/${seq}?"x"`;
    for (const [ip, allow] of [
      ['61.4.12.7', []],
      ['61.4.12.9', ['61.4.12.9']],
      ['58.5.5.5', []],
      ['58.9.0.1', []],
      ['10.0.0.1', []],
      ['2001:db8::1', []],
      ['8.8.4.4', []],
    ] as const) {
      const answer = lookupAddress(src, ip, NOW, policy([...allow]), url, originOf);
      expect(lookupAnswerJson(answer), ip).toBe(JSON.stringify(answer));
    }
  });

  it('say why an address is not listed', () => {
    const answer = lookupAddress(source(), '58.5.5.5', NOW, policy([]), () => 'u', originOf);
    expect(answer.listed).toBe(false);
    expect(answer.notListedBecause).toEqual(["hk-ofta's report of 58.0.0.0/8 was refused: PREFIX_TOO_SHORT", 'jp-dekyo delisted 58.5.5.0/24']);
    const expired = lookupAddress(source(), '61.4.12.7', NOW, policy([]), () => 'u', originOf);
    expect(expired.listed).toBe(true);
    expect(expired.matches.map((m) => [m.prefix, m.listed, m.sources.map((s) => s.state)])).toEqual([
      ['61.4.12.0/24', true, ['active', 'delisted']],
      ['61.4.12.7/32', false, ['expired']],
    ]);
  });
});

describe('LookupCache', () => {
  it('keeps an answer only for an address asked twice, and only while the store is unchanged', () => {
    const cache = new LookupCache(100);
    cache.set('61.4.12.7', 'v1', 'first');
    expect(cache.get('61.4.12.7', 'v1')).toBeUndefined(); // asked once: not kept
    cache.set('61.4.12.7', 'v1', 'second');
    expect(cache.get('61.4.12.7', 'v1')).toBe('second');
    expect(cache.get('61.4.12.7', 'v2')).toBeUndefined(); // the store moved on
    cache.set('61.4.12.7', 'v2', 'third'); // still remembered as asked before
    expect(cache.get('61.4.12.7', 'v2')).toBe('third');
  });

  it('holds at most its capacity, keeping the recently used', () => {
    const cache = new LookupCache(100);
    const ips = Array.from({ length: 1000 }, (_, i) => `45.0.${i >> 8}.${i & 255}`);
    for (const ip of ips) {
      cache.set(ip, 'v', 'seen');
      cache.set(ip, 'v', `answer ${ip}`);
    }
    const held = ips.filter((ip) => cache.get(ip, 'v') !== undefined);
    expect(held.length).toBeLessThanOrEqual(100);
    expect(held).toContain(ips.at(-1));
    expect(cache.get(ips.at(-1)!, 'v')).toBe(`answer ${ips.at(-1)}`);
  });
});
