import { describe, expect, it } from 'vitest';
import { SPECIAL_PURPOSE_RANGES, specialPurposeRange } from '../../src/core/special-purpose.js';
import { coveringPrefix, prefixEnd, prefixesOverlap, prefixFrom, type Prefix } from '../../src/core/prefix.js';
import { prefix } from './fixtures.js';

function flagged(text: string): string | undefined {
  return specialPurposeRange(prefix(text))?.prefix.text;
}

describe('specialPurposeRange', () => {
  it.each([
    ['10.1.2.3', '10.0.0.0/8'],
    ['172.16.0.0/12', '172.16.0.0/12'],
    ['172.31.255.255', '172.16.0.0/12'],
    ['192.168.1.0/24', '192.168.0.0/16'],
    ['127.0.0.1', '127.0.0.0/8'],
    ['169.254.10.20', '169.254.0.0/16'],
    ['100.64.0.1', '100.64.0.0/10'],
    ['100.127.255.255', '100.64.0.0/10'],
    ['0.0.0.0', '0.0.0.0/8'],
    ['0.1.2.3', '0.0.0.0/8'],
    ['192.0.2.1', '192.0.2.0/24'],
    ['198.51.100.0/24', '198.51.100.0/24'],
    ['203.0.113.99', '203.0.113.0/24'],
    ['198.18.0.0/15', '198.18.0.0/15'],
    ['198.19.255.1', '198.18.0.0/15'],
    ['224.0.0.251', '224.0.0.0/4'],
    ['239.255.255.250', '224.0.0.0/4'],
    ['240.0.0.1', '240.0.0.0/4'],
    ['255.255.255.255', '255.255.255.255/32'],
    ['192.0.0.8', '192.0.0.0/24'],
  ])('flags IPv4 %s (inside %s)', (text, range) => {
    expect(flagged(text)).toBe(range);
  });

  it.each([
    ['::1', '::1/128'],
    ['::', '::/128'],
    ['fe80::1', 'fe80::/10'],
    ['febf:ffff::1', 'fe80::/10'],
    ['fc00::1', 'fc00::/7'],
    ['fd12:3456:789a::/48', 'fc00::/7'],
    ['2001:db8::1', '2001:db8::/32'],
    ['2001:db8:1234::/48', '2001:db8::/32'],
    ['3fff::1', '3fff::/20'],
    ['ff02::1', 'ff00::/8'],
    ['2002:c000:204::1', '2002::/16'],
  ])('flags IPv6 %s (inside %s)', (text, range) => {
    expect(flagged(text)).toBe(range);
  });

  it.each(['::102:304', '100::1', '1000::/4', '4000::1', '8000::1', 'e000::1', '64:ff9b::3d04:c07', 'fec0::1', '::3d04:c07'])(
    'flags %s, outside global unicast 2000::/3 or otherwise reserved',
    (text) => {
      expect(specialPurposeRange(prefix(text))).toBeDefined();
    },
  );

  it.each([
    '61.4.12.7',
    '61.4.0.0/16',
    '116.31.64.0/24',
    '202.12.27.33',
    '8.8.8.8',
    '1.1.1.1',
    '100.63.255.255',
    '100.128.0.0',
    '172.15.255.255',
    '172.32.0.0',
    '192.0.3.0/24',
    '198.17.255.255',
    '198.20.0.0',
    '223.255.255.255',
    '2400:cb00::1',
    '2400:cb00::/32',
    '2a00:1450::/32',
    '2a00:1450:4001::200e',
    '2001:200::/32',
    '3ffe:ffff::1',
  ])('does not flag the public unicast %s', (text) => {
    expect(specialPurposeRange(prefix(text))).toBeUndefined();
  });

  it.each([
    ['192.0.0.0/16', '192.0.0.0/24'],
    ['198.0.0.0/8', '198.18.0.0/15'],
    ['203.0.0.0/16', '203.0.113.0/24'],
    ['172.0.0.0/8', '172.16.0.0/12'],
    ['100.0.0.0/8', '100.64.0.0/10'],
    ['0.0.0.0/0', undefined],
    ['2001:d00::/24', '2001:db8::/32'],
    ['2000::/3', undefined],
    ['2000::/4', undefined],
  ])('flags %s because it contains a special range', (text, expected) => {
    const range = specialPurposeRange(prefix(text));
    expect(range).toBeDefined();
    if (expected) expect(range!.prefix.text).toBe(expected);
  });

  it('names the range it matched', () => {
    expect(specialPurposeRange(prefix('10.0.0.1'))?.name).toBe('private');
    expect(specialPurposeRange(prefix('100.64.1.1'))?.name).toBe('carrierGradeNat');
    expect(specialPurposeRange(prefix('4000::1'))?.name).toBe('notGlobalUnicast');
  });

  it('treats an IPv4-mapped address as the IPv4 address it names', () => {
    expect(specialPurposeRange(prefix('::ffff:10.1.2.3'))?.prefix.text).toBe('10.0.0.0/8');
    expect(specialPurposeRange(prefix('::ffff:61.4.12.7'))).toBeUndefined();
  });
});

describe('specialPurposeRange by first octet', () => {
  // The IPv4 answer comes from a table by first octet; it must be the linear scan's answer: the
  // first range, in table order, that the prefix overlaps.
  const linear = (p: Prefix) => SPECIAL_PURPOSE_RANGES.find((r) => prefixesOverlap(r.prefix, p));
  const v4 = SPECIAL_PURPOSE_RANGES.filter((r) => r.prefix.family === 4);
  const atEveryLength = (address: number): Prefix[] => {
    const host = prefixFrom(4, address, 32);
    return Array.from({ length: 33 }, (_, length) => coveringPrefix(host, length));
  };

  it('has IPv4 ranges shorter and longer than /8 to spread over octets', () => {
    expect(v4.some((r) => r.prefix.length < 8)).toBe(true);
    expect(v4.some((r) => r.prefix.length > 8)).toBe(true);
  });

  it('gives the linear scan\'s range at every range boundary ±1, at every length', () => {
    const addresses = new Set<number>();
    for (const r of v4) {
      const start = r.prefix.start as number;
      const end = prefixEnd(r.prefix) as number;
      for (const a of [start - 1, start, start + 1, end - 1, end, end + 1]) if (a >= 0 && a <= 0xffffffff) addresses.add(a);
    }
    for (const address of addresses) {
      for (const p of atEveryLength(address)) expect(specialPurposeRange(p)).toBe(linear(p));
    }
  });

  it('gives the linear scan\'s range at the edges of every /8 and for prefixes shorter than /8', () => {
    for (let octet = 0; octet < 256; octet++) {
      const first = octet * 2 ** 24;
      for (const address of [first, first + 1, first + 2 ** 24 - 1]) {
        for (const p of atEveryLength(address)) expect(specialPurposeRange(p)).toBe(linear(p));
      }
    }
  });

  it('gives the linear scan\'s range for random prefixes', () => {
    let seed = 7;
    for (let i = 0; i < 20_000; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const p = coveringPrefix(prefixFrom(4, seed, 32), 8 + (i % 25));
      expect(specialPurposeRange(p)).toBe(linear(p));
    }
  });
});
