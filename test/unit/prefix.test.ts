import { describe, expect, it } from 'vitest';
import {
  comparePrefixes,
  coveringPrefixes,
  formatAddress,
  parsePrefix,
  parsePrefixInFull,
  prefixContains,
  prefixEnd,
  prefixesOverlap,
  prefixFrom,
  prefixKey,
  quickV4Prefix,
  v4Mask,
} from '../../src/core/prefix.js';
import { prefix } from './fixtures.js';

function canonical(input: string): string {
  const r = parsePrefix(input);
  if (!r.ok) throw new Error(`${input} refused: ${r.code} ${r.reason}`);
  return r.prefix.text;
}

function refusal(input: string): string {
  const r = parsePrefix(input);
  return r.ok ? `accepted as ${r.prefix.text}` : r.code;
}

describe('parsePrefix: IPv4', () => {
  it.each([
    ['61.4.12.7', '61.4.12.7/32'],
    ['61.4.12.7/32', '61.4.12.7/32'],
    ['116.31.64.0/24', '116.31.64.0/24'],
    ['202.12.0.0/16', '202.12.0.0/16'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['255.255.255.255', '255.255.255.255/32'],
  ])('%s → %s', (input, text) => {
    expect(canonical(input)).toBe(text);
  });

  it('gives family, length and start as an unsigned integer', () => {
    const p = prefix('202.12.27.33');
    expect(p.family).toBe(4);
    expect(p.length).toBe(32);
    expect(p.start).toBe(((202 << 24) >>> 0) + (12 << 16) + (27 << 8) + 33);
    expect(prefix('255.255.255.255').start).toBe(0xffffffff);
  });

  it.each(['01.2.3.4', '1.2.3', '0x1.2.3.4', '1.2.3.256', '1.2.3.4.5', '1..2.3', '', 'a.b.c.d', ' 1.2.3.4', '1.2.3.4 ', '1.2.3.-1', '017.1.1.1', '16909060'])(
    'refuses the non-dotted-quad %j as PREFIX_INVALID',
    (input) => {
      expect(refusal(input)).toBe('PREFIX_INVALID');
    },
  );

  it.each(['61.4.12.7/33', '61.4.12.0/024', '61.4.12.7/-1', '61.4.12.7/', '61.4.12.7/ 32', '61.4.12.7/32 ', '61.4.12.0/2a', '61.4.0.0/16/16', '61.4.12.7/1000'])(
    'refuses the bad length in %j as PREFIX_INVALID',
    (input) => {
      expect(refusal(input)).toBe('PREFIX_INVALID');
    },
  );

  it.each(['61.4.12.7/24', '116.31.64.1/24', '202.12.0.0/8', '0.0.0.1/0', '61.4.12.128/24'])(
    'refuses host bits set in %s as PREFIX_HOST_BITS',
    (input) => {
      expect(refusal(input)).toBe('PREFIX_HOST_BITS');
    },
  );
});

describe('parsePrefix: IPv6', () => {
  it.each([
    ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1/128'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1/128'],
    ['2001:db8::1:0:0:0:1', '2001:db8:0:1::1/128'],
    ['2001:db8:0:0:1:0:0:0/128', '2001:db8:0:0:1::/128'],
    ['2400:CB00::/32', '2400:cb00::/32'],
    ['2400:cb00:0:0:0:0:0:0/32', '2400:cb00::/32'],
    ['2a00:1450:4001:0:0:0:0:200e', '2a00:1450:4001::200e/128'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1/128'],
    ['::', '::/128'],
    ['::/0', '::/0'],
    ['::1', '::1/128'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304/128'],
    ['::1:2:3:4:5:1.2.3.4', '0:1:2:3:4:5:102:304/128'],
    ['::ffff:0:1.2.3.4', '::ffff:0:102:304/128'],
  ])('%s → %s (RFC 5952)', (input, text) => {
    expect(canonical(input)).toBe(text);
  });

  it('compresses the first of two equally long zero runs (RFC 5952 §4.2.3)', () => {
    expect(canonical('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1/128');
  });

  it('does not compress a single zero group (RFC 5952 §4.2.2)', () => {
    expect(canonical('2001:db8:0:1:1:1:1:1')).not.toContain('::');
  });

  it('keeps the start as a bigint', () => {
    const p = prefix('2400:cb00::/32');
    expect(p.family).toBe(6);
    expect(p.length).toBe(32);
    expect(p.start).toBe(0x2400cb00n << 96n);
  });

  it.each([
    ['::ffff:1.2.3.4', '1.2.3.4/32'],
    ['::FFFF:61.4.12.7', '61.4.12.7/32'],
    ['::ffff:1.2.3.0/120', '1.2.3.0/24'],
    ['::ffff:3d04:c07', '61.4.12.7/32'],
    ['0:0:0:0:0:ffff:3d04:c07/128', '61.4.12.7/32'],
    ['::ffff:116.31.64.0/120', '116.31.64.0/24'],
  ])('reads the IPv4-mapped %s as the IPv4 prefix %s', (input, text) => {
    const r = parsePrefix(input);
    expect(r.ok && r.prefix.family).toBe(4);
    expect(canonical(input)).toBe(text);
  });

  it('refuses an IPv4-mapped prefix shorter than /96 and host bits below a mapped length', () => {
    expect(refusal('::ffff:0:0/95')).toBe('PREFIX_INVALID');
    expect(refusal('::ffff:1.2.3.4/120')).toBe('PREFIX_HOST_BITS');
  });

  it('reads ::a.b.c.d as the RFC 4291 §2.5.5.1 IPv4-compatible address, not as IPv4-mapped', () => {
    // ipaddr.js on its own turns ::1.2.3.4 into ::ffff:1.2.3.4; RFC 4291 says it is ::102:304.
    expect(canonical('::1.2.3.4')).toBe('::102:304/128');
    expect(canonical('::61.4.12.7')).toBe('::3d04:c07/128');
    expect(canonical('::0:61.4.12.7')).toBe('::3d04:c07/128');
  });

  it.each(['::ffff:0x3d.4.12.7', '::ffff:010.2.3.4', '::ffff:1.2.3', '::ffff:1.2.3.256', '::ffff:1.2.3.4.5'])(
    'refuses the non-decimal embedded IPv4 in %s',
    (input) => {
      expect(refusal(input)).toBe('PREFIX_INVALID');
    },
  );

  it.each(['fe80::1%eth0', 'fe80::1%1', 'fe80::%eth0/64', '2400:cb00::1%25eth0'])('refuses the zone id in %s', (input) => {
    expect(refusal(input)).toBe('PREFIX_INVALID');
  });

  it.each(['1::2::3', '2400:cb00::g', '12345::', '1:2:3:4:5:6:7:8:9', ':1:2:3:4:5:6:7', '2400:cb00:::1', ' ::1', '::1 ', '[::1]'])(
    'refuses the malformed address %j',
    (input) => {
      expect(refusal(input)).toBe('PREFIX_INVALID');
    },
  );

  it.each(['2400:cb00::/129', '2400:cb00::/032', '2400:cb00::/-1', '2400:cb00::/', '2400:cb00::/0x20', '::ffff:1.2.3.4/129'])(
    'refuses the bad length in %s as PREFIX_INVALID',
    (input) => {
      expect(refusal(input)).toBe('PREFIX_INVALID');
    },
  );

  it.each(['2400:cb00::1/32', '2400:cb00:1::/31', '2001:db8::1:0:0:1/64', '::1/0'])('refuses host bits set in %s', (input) => {
    expect(refusal(input)).toBe('PREFIX_HOST_BITS');
  });

  it('accepts every length from /0 to /128 on the zero address and /0 to /32 on IPv4', () => {
    for (let l = 0; l <= 128; l++) expect(canonical(`::/${l}`)).toBe(`::/${l}`);
    for (let l = 0; l <= 32; l++) expect(canonical(`0.0.0.0/${l}`)).toBe(`0.0.0.0/${l}`);
  });
});

describe('prefixKey', () => {
  const texts = [
    '2400:cb00::/32',
    '61.4.12.7/32',
    '61.4.0.0/16',
    '116.31.64.0/24',
    '2400:cb00::/48',
    '9.0.0.0/8',
    '202.12.27.33/32',
    '61.4.12.0/24',
    '2a00:1450::/32',
    '2400:cb00::1/128',
    '0.0.0.0/0',
    '::/0',
    '255.255.255.255/32',
    '61.4.12.6/31',
  ];
  const numericOrder = [
    '0.0.0.0/0',
    '9.0.0.0/8',
    '61.4.0.0/16',
    '61.4.12.0/24',
    '61.4.12.6/31',
    '61.4.12.7/32',
    '116.31.64.0/24',
    '202.12.27.33/32',
    '255.255.255.255/32',
    '::/0',
    '2400:cb00::/32',
    '2400:cb00::/48',
    '2400:cb00::1/128',
    '2a00:1450::/32',
  ];

  it('sorts as strings into numeric order: IPv4 first, then by address, a network before its subnets', () => {
    const byKey = texts.map(prefix).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    expect(byKey.map((p) => p.text)).toEqual(numericOrder);
  });

  it('agrees with comparePrefixes', () => {
    const byCompare = texts.map(prefix).sort(comparePrefixes);
    expect(byCompare.map((p) => p.text)).toEqual(numericOrder);
  });

  it('orders by address before length: 9/8 sorts before 10.0.0.0/32 even though /32 is longer', () => {
    expect(prefix('9.0.0.0/8').key < prefix('10.0.0.0/32').key).toBe(true);
    expect(prefix('61.4.0.0/16').key < prefix('61.4.0.0/17').key).toBe(true);
    expect(prefix('61.4.0.0/17').key < prefix('61.4.0.1/32').key).toBe(true);
  });

  it('has a fixed width per family, so no key is a prefix of another', () => {
    expect(prefixKey(4, 0, 0)).toBe('40000000000');
    expect(prefixKey(4, 0xffffffff, 32)).toBe('4ffffffff20');
    expect(prefixKey(6, 0n, 128)).toHaveLength(1 + 32 + 2);
    expect(prefixKey(6, (1n << 128n) - 1n, 128)).toBe(`6${'f'.repeat(32)}80`);
    expect(prefix('61.4.12.7').key).toBe(prefixKey(4, 0x3d040c07, 32));
  });

  it('is the same for every spelling of one prefix', () => {
    expect(prefix('::ffff:61.4.12.7').key).toBe(prefix('61.4.12.7/32').key);
    expect(prefix('2400:CB00:0:0::/32').key).toBe(prefix('2400:cb00::/32').key);
  });
});

describe('comparePrefixes', () => {
  it('is negative, zero or positive by family, then start, then length', () => {
    expect(comparePrefixes(prefix('255.255.255.255'), prefix('::/0'))).toBeLessThan(0);
    expect(comparePrefixes(prefix('::/0'), prefix('0.0.0.0/0'))).toBeGreaterThan(0);
    expect(comparePrefixes(prefix('61.4.0.0/16'), prefix('61.4.0.0/24'))).toBeLessThan(0);
    expect(comparePrefixes(prefix('61.4.12.7'), prefix('61.4.12.6/31'))).toBeGreaterThan(0);
    expect(comparePrefixes(prefix('2400:cb00::/32'), prefix('2400:cb00::/32'))).toBe(0);
    expect(comparePrefixes(prefix('2400:cb00::/32'), prefix('2a00:1450::/32'))).toBeLessThan(0);
  });
});

describe('prefixContains and prefixesOverlap', () => {
  const cases: [string, string, boolean, boolean][] = [
    // outer, inner, outer contains inner, overlap
    ['61.4.0.0/16', '61.4.12.7/32', true, true],
    ['61.4.12.7/32', '61.4.0.0/16', false, true],
    ['61.4.0.0/16', '61.4.0.0/16', true, true],
    ['61.4.0.0/16', '61.5.0.0/16', false, false],
    ['61.4.0.0/16', '61.5.255.255/32', false, false],
    ['0.0.0.0/0', '255.255.255.255/32', true, true],
    ['128.0.0.0/1', '127.255.255.255/32', false, false],
    ['128.0.0.0/1', '202.12.27.33/32', true, true],
    ['2400:cb00::/32', '2400:cb00:1::/48', true, true],
    ['2400:cb00::/32', '2400:cb01::/32', false, false],
    ['::/0', '2a00:1450::1/128', true, true],
    ['2400:cb00::/32', '61.4.12.7/32', false, false],
    ['0.0.0.0/0', '::/0', false, false],
  ];
  it.each(cases)('%s ⊇ %s is %s; overlap %s', (outer, inner, contains, overlap) => {
    expect(prefixContains(prefix(outer), prefix(inner))).toBe(contains);
    expect(prefixesOverlap(prefix(outer), prefix(inner))).toBe(overlap);
    expect(prefixesOverlap(prefix(inner), prefix(outer))).toBe(overlap);
  });
});

describe('prefixEnd and v4Mask', () => {
  it('gives the last address', () => {
    expect(prefixEnd(prefix('61.4.0.0/16'))).toBe(prefix('61.4.255.255').start);
    expect(prefixEnd(prefix('0.0.0.0/0'))).toBe(0xffffffff);
    expect(prefixEnd(prefix('61.4.12.7'))).toBe(prefix('61.4.12.7').start);
    expect(prefixEnd(prefix('2400:cb00::/32'))).toBe(prefix('2400:cb00:ffff:ffff:ffff:ffff:ffff:ffff').start);
    expect(prefixEnd(prefix('::/0'))).toBe((1n << 128n) - 1n);
  });

  it('builds unsigned netmasks', () => {
    expect(v4Mask(0)).toBe(0);
    expect(v4Mask(1)).toBe(0x80000000);
    expect(v4Mask(16)).toBe(0xffff0000);
    expect(v4Mask(32)).toBe(0xffffffff);
  });
});

describe('formatAddress and prefixFrom', () => {
  it('formats IPv4 from an unsigned integer', () => {
    expect(formatAddress(4, 0)).toBe('0.0.0.0');
    expect(formatAddress(4, 0xffffffff)).toBe('255.255.255.255');
    expect(formatAddress(4, 0x3d040c07)).toBe('61.4.12.7');
    expect(formatAddress(4, 0xca0c1b21)).toBe('202.12.27.33');
  });

  it('formats IPv6 per RFC 5952', () => {
    expect(formatAddress(6, 0n)).toBe('::');
    expect(formatAddress(6, 1n)).toBe('::1');
    expect(formatAddress(6, 0x2400cb00n << 96n)).toBe('2400:cb00::');
    expect(formatAddress(6, prefix('2001:db8:0:0:1:0:0:1').start)).toBe('2001:db8::1:0:0:1');
    expect(formatAddress(6, (1n << 128n) - 1n)).toBe('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
  });

  it('round-trips through parsePrefix', () => {
    for (const text of ['61.4.12.7/32', '116.31.64.0/24', '2400:cb00::/32', '2a00:1450:4001::200e/128']) {
      const p = prefix(text);
      expect(prefixFrom(p.family, p.start, p.length)).toEqual(p);
    }
  });
});

describe('coveringPrefixes', () => {
  it('lists the 33 prefixes containing an IPv4 /32, from /0 to the address itself', () => {
    const p = prefix('61.4.12.7');
    const covering = coveringPrefixes(p);
    expect(covering).toHaveLength(33);
    expect(covering.map((c) => c.length)).toEqual([...Array(33).keys()]);
    expect(covering[0]!.text).toBe('0.0.0.0/0');
    expect(covering[8]!.text).toBe('61.0.0.0/8');
    expect(covering[16]!.text).toBe('61.4.0.0/16');
    expect(covering[24]!.text).toBe('61.4.12.0/24');
    expect(covering[32]).toEqual(p);
    for (const c of covering) expect(prefixContains(c, p)).toBe(true);
  });

  it('lists the 129 prefixes containing an IPv6 /128', () => {
    const p = prefix('2400:cb00::1');
    const covering = coveringPrefixes(p);
    expect(covering).toHaveLength(129);
    expect(covering[0]!.text).toBe('::/0');
    expect(covering[32]!.text).toBe('2400:cb00::/32');
    expect(covering[128]).toEqual(p);
    for (const c of covering) expect(prefixContains(c, p)).toBe(true);
  });

  it('stops at the prefix itself for a shorter prefix', () => {
    const covering = coveringPrefixes(prefix('116.31.64.0/24'));
    expect(covering).toHaveLength(25);
    expect(covering.at(-1)!.text).toBe('116.31.64.0/24');
  });

  it('produces only canonical prefixes (each re-parses to itself)', () => {
    for (const c of coveringPrefixes(prefix('255.255.255.255'))) expect(prefix(c.text)).toEqual(c);
    for (const c of coveringPrefixes(prefix('2a00:1450:4001::200e'))) expect(prefix(c.text)).toEqual(c);
  });
});

describe('quickV4Prefix', () => {
  // parsePrefix tries quickV4Prefix first: it must accept only what the full parse accepts, as
  // the same prefix, and leave everything else (refusals and their wording included) to it.
  const agree = (input: string): void => {
    const quick = quickV4Prefix(input);
    const full = parsePrefixInFull(input);
    if (quick !== undefined) expect(full).toEqual({ ok: true, prefix: quick });
    expect(parsePrefix(input)).toEqual(full);
  };

  it('takes the usual IPv4 forms, with text as parsePrefix writes it', () => {
    expect(quickV4Prefix('61.4.12.7')).toEqual(prefix('61.4.12.7'));
    expect(quickV4Prefix('61.4.12.7')?.text).toBe('61.4.12.7/32');
    expect(quickV4Prefix('116.31.64.0/24')?.text).toBe('116.31.64.0/24');
    expect(quickV4Prefix('0.0.0.0/0')?.key).toBe(parsePrefixInFull('0.0.0.0/0').ok && prefixKey(4, 0, 0));
    expect(quickV4Prefix('255.255.255.255')?.start).toBe(0xffffffff);
  });

  it('leaves IPv6, mapped addresses and every refusal to the full parse', () => {
    for (const input of ['::ffff:1.2.3.4', '2400:cb00::/32', '61.4.12.7/', '61.4.12.7/024', '61.4.12.7/33', '61.4.12.7/24', '01.2.3.4', '1.2.3', '']) {
      expect(quickV4Prefix(input)).toBeUndefined();
      agree(input);
    }
  });

  it('agrees with the full parse on octets and lengths at their edges', () => {
    const octets = ['0', '1', '9', '10', '00', '01', '010', '99', '100', '199', '200', '249', '250', '255', '256', '299', '300', '999', '1000', '', 'a', '-1', ' 1'];
    const lengths = ['', '/', '/0', '/00', '/01', '/1', '/8', '/9', '/10', '/16', '/19', '/20', '/24', '/29', '/30', '/31', '/32', '/33', '/39', '/40', '/99', '/100', '/032', '/320', '/3a', '/ 32', '/32 ', '//32', '/-1', '/1/1'];
    for (const a of octets) for (const d of octets) for (const length of lengths) agree(`${a}.4.12.${d}${length}`);
    for (const b of octets) for (const c of octets) for (const length of ['', '/0', '/8', '/16', '/24', '/32']) agree(`255.${b}.${c}.0${length}`);
    for (let length = 0; length <= 33; length++) {
      for (const address of ['0.0.0.0', '128.0.0.0', '255.255.255.255', '255.255.255.254', '61.4.12.0', '61.4.0.0', '61.0.0.0']) agree(`${address}/${length}`);
    }
    for (const input of ['1.2.3.4.', '.1.2.3.4', '1.2.3.4.5', '1..2.3', '1.2.3.4/32/32', '1.2.3.4:80', '1.2.3.4%', '１.2.3.4', '1.2.3.4\n']) agree(input);
  });

  it('agrees with the full parse on random strings of prefix characters', () => {
    let seed = 12345;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const alphabet = '0123456789012345678901234567890123456789....////:ax ';
    for (let i = 0; i < 20_000; i++) {
      let input = '';
      const length = 5 + random(15);
      for (let k = 0; k < length; k++) input += alphabet[random(alphabet.length)];
      agree(input);
      // And a well-formed prefix with one character changed.
      const p = `${random(256)}.${random(256)}.${random(256)}.${random(256)}/${random(34)}`;
      const at = random(p.length);
      agree(`${p.slice(0, at)}${alphabet[random(alphabet.length)]}${p.slice(at + 1)}`);
      agree(`${random(256)}.0.0.0/${random(9)}`);
    }
  });
});
