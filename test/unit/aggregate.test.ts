import { describe, expect, it } from 'vitest';
import { aggregateKeyPages, aggregatePrefixes, rangeToCidrs } from '../../src/core/aggregate.js';
import { formatAddress, prefixFrom } from '../../src/core/prefix.js';
import { prng } from '../bench/bench-data.js';
import { prefix } from './fixtures.js';

const agg = (...texts: string[]) => [...aggregatePrefixes(texts)];
const v4 = (text: string) => prefix(text).start as number;

/** The cover from the store's keys, a few keys per page, as the export reads it. */
function viaKeys(texts: readonly string[], perPage = 3): string[] {
  const keys = texts.map((t) => prefix(t).key);
  const pages: string[] = [];
  for (let i = 0; i < keys.length; i += perPage) pages.push(keys.slice(i, i + perPage).join(''));
  return [...aggregateKeyPages(pages)].flat();
}

/**
 * Reference: the minimal cover of an address set is the set of maximal CIDR blocks inside it,
 * found here top-down over a bitmap (a block wholly listed is emitted, a partly listed one split),
 * independently of the range-splitting code under test.
 */
function referenceCover(base: number, bits: number, listed: Uint8Array): string[] {
  const out: string[] = [];
  const visit = (offset: number, size: number): void => {
    let count = 0;
    for (let i = offset; i < offset + size; i++) count += listed[i]!;
    if (count === 0) return;
    if (count === size) {
      out.push(`${formatAddress(4, base + offset)}/${32 - Math.log2(size)}`);
      return;
    }
    visit(offset, size / 2);
    visit(offset + size / 2, size / 2);
  };
  visit(0, 2 ** bits);
  return out;
}

describe('aggregatePrefixes', () => {
  it('keeps a single host as a /32 (iprange prints it bare: 61.4.12.7)', () => {
    expect(agg('61.4.12.7/32')).toEqual(['61.4.12.7/32']);
    expect(agg('61.4.12.7')).toEqual(['61.4.12.7/32']);
  });

  it('merges adjacent prefixes into the larger aligned block', () => {
    expect(agg('61.4.12.8/31', '61.4.12.10/31')).toEqual(['61.4.12.8/30']);
    expect(agg('116.31.64.0/24', '116.31.65.0/24')).toEqual(['116.31.64.0/23']);
    expect(agg('61.4.12.6/32', '61.4.12.7/32', '61.4.12.8/32', '61.4.12.9/32')).toEqual(['61.4.12.6/31', '61.4.12.8/31']);
  });

  it('cuts an unaligned run into the fewest blocks', () => {
    expect(agg('61.4.12.7/32', '61.4.12.8/31', '61.4.12.10/32')).toEqual(['61.4.12.7/32', '61.4.12.8/31', '61.4.12.10/32']);
    expect(agg('116.31.65.0/24', '116.31.66.0/23')).toEqual(['116.31.65.0/24', '116.31.66.0/23']);
  });

  it('swallows prefixes inside or overlapping an earlier one', () => {
    expect(agg('61.4.0.0/16', '61.4.1.0/24', '61.4.1.7/32', '61.4.255.255/32')).toEqual(['61.4.0.0/16']);
    expect(agg('61.4.0.0/23', '61.4.1.0/24', '61.4.2.0/23')).toEqual(['61.4.0.0/22']);
  });

  it('keeps separate ranges apart and in order', () => {
    expect(agg('61.4.12.7/32', '116.31.64.0/24', '202.12.27.33/32')).toEqual(['61.4.12.7/32', '116.31.64.0/24', '202.12.27.33/32']);
  });

  it('handles /0 and the ends of the address space', () => {
    expect(agg('0.0.0.0/0')).toEqual(['0.0.0.0/0']);
    expect(agg('0.0.0.0/1', '128.0.0.0/1')).toEqual(['0.0.0.0/0']);
    expect(agg('0.0.0.0/32', '255.255.255.255/32')).toEqual(['0.0.0.0/32', '255.255.255.255/32']);
    expect(agg('255.255.255.254/32', '255.255.255.255/32')).toEqual(['255.255.255.254/31']);
    expect(agg('::/0')).toEqual(['::/0']);
    expect(agg('::/1', '8000::/1')).toEqual(['::/0']);
  });

  it('aggregates IPv6, after IPv4', () => {
    expect(agg('2400:cb00::/33', '2400:cb00:8000::/33')).toEqual(['2400:cb00::/32']);
    expect(agg('61.4.0.0/17', '61.4.128.0/17', '2400:cb00::1/128', '2400:cb00::2/127', '2400:cb00::4/128')).toEqual([
      '61.4.0.0/16',
      '2400:cb00::1/128',
      '2400:cb00::2/127',
      '2400:cb00::4/128',
    ]);
  });

  it('refuses input out of address order rather than give a wrong cover', () => {
    expect(() => agg('116.31.64.0/24', '61.4.0.0/16')).toThrow(/order/);
    expect(() => agg('2400:cb00::/32', '61.4.0.0/16')).toThrow(/IPv4 after IPv6/);
    // Out of order but inside the range being built: harmless, and accepted.
    expect(agg('61.4.0.0/16', '61.4.9.0/24', '61.4.3.0/24')).toEqual(['61.4.0.0/16']);
  });

  it('equals the top-down reference cover on random prefixes in a /16', () => {
    const next = prng(99);
    const base = v4('61.4.0.0');
    for (let round = 0; round < 20; round++) {
      const listed = new Uint8Array(65_536);
      const prefixes = new Map<string, { start: number; length: number }>();
      for (let i = 0; i < 200; i++) {
        const length = 18 + Math.floor(next() * 15);
        const size = 2 ** (32 - length);
        const offset = Math.floor((next() * 65_536) / size) * size;
        listed.fill(1, offset, offset + size);
        const p = prefixFrom(4, base + offset, length);
        prefixes.set(p.key, { start: base + offset, length });
      }
      const ordered = [...prefixes.keys()].sort().map((k) => prefixFrom(4, prefixes.get(k)!.start, prefixes.get(k)!.length).text);
      const expected = referenceCover(base, 16, listed);
      expect(agg(...ordered)).toEqual(expected);
      expect(viaKeys(ordered, 1 + round)).toEqual(expected);
    }
  });

  it('streams a million adjacent hosts into one block', () => {
    const base = v4('61.0.0.0');
    function* hosts(): Generator<string> {
      for (let i = 0; i < 2 ** 20; i++) yield `${formatAddress(4, base + i)}/32`;
    }
    expect([...aggregatePrefixes(hosts())]).toEqual(['61.0.0.0/12']);
  });
});

describe('aggregateKeyPages', () => {
  it('reads IPv4 and IPv6 keys across page boundaries', () => {
    const input = ['61.4.12.7/32', '61.4.12.8/31', '61.4.12.10/31', '116.31.64.0/24', '2400:cb00::/33', '2400:cb00:8000::/33', '2400:cb01::1/128'];
    const expected = ['61.4.12.7/32', '61.4.12.8/30', '116.31.64.0/24', '2400:cb00::/32', '2400:cb01::1/128'];
    expect(agg(...input)).toEqual(expected);
    for (const perPage of [1, 2, 3, 7]) expect(viaKeys(input, perPage)).toEqual(expected);
  });

  it('yields nothing for no keys', () => {
    expect([...aggregateKeyPages([])].flat()).toEqual([]);
  });
});

describe('rangeToCidrs', () => {
  it('cuts a range into the fewest aligned blocks', () => {
    expect(rangeToCidrs(4, v4('61.4.12.1'), v4('61.4.12.254'))).toEqual([
      '61.4.12.1/32',
      '61.4.12.2/31',
      '61.4.12.4/30',
      '61.4.12.8/29',
      '61.4.12.16/28',
      '61.4.12.32/27',
      '61.4.12.64/26',
      '61.4.12.128/26',
      '61.4.12.192/27',
      '61.4.12.224/28',
      '61.4.12.240/29',
      '61.4.12.248/30',
      '61.4.12.252/31',
      '61.4.12.254/32',
    ]);
    expect(rangeToCidrs(4, 0, 2 ** 32 - 1)).toEqual(['0.0.0.0/0']);
    expect(rangeToCidrs(4, v4('202.12.27.33'), v4('202.12.27.33'))).toEqual(['202.12.27.33/32']);
    expect(rangeToCidrs(6, 0n, (1n << 128n) - 1n)).toEqual(['::/0']);
    const start = prefix('2400:cb00::').start as bigint;
    expect(rangeToCidrs(6, start + 1n, start + 6n)).toEqual(['2400:cb00::1/128', '2400:cb00::2/127', '2400:cb00::4/127', '2400:cb00::6/128']);
  });
});
