import { describe, expect, it } from 'vitest';
import { specialPurposeRange } from '../../src/core/special-purpose.js';
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
