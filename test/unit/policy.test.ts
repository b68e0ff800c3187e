import { describe, expect, it } from 'vitest';
import { policyRefusal } from '../../src/core/policy.js';
import { policy, prefix } from './fixtures.js';

const code = (text: string, p = policy()): string | null => policyRefusal(prefix(text), p)?.code ?? null;

describe('policyRefusal', () => {
  it('accepts public unicast at or beyond the default minimum lengths', () => {
    for (const text of ['61.4.12.7', '116.31.64.0/24', '202.12.0.0/16', '2400:cb00::/32', '2a00:1450:4001::200e']) {
      expect(code(text)).toBeNull();
    }
  });

  it('refuses special-purpose space as PREFIX_SPECIAL_PURPOSE, naming the range', () => {
    const r = policyRefusal(prefix('192.0.2.1'), policy());
    expect(r?.code).toBe('PREFIX_SPECIAL_PURPOSE');
    expect(r?.reason).toContain('192.0.2.0/24');
    expect(r?.prefixText).toBe('192.0.2.1/32');
    for (const text of ['10.0.0.1', '198.51.100.7', '203.0.113.0/24', '2001:db8::1', 'fe80::1', '::1']) {
      expect(code(text)).toBe('PREFIX_SPECIAL_PURPOSE');
    }
  });

  it('refuses a prefix inside the allowlist as PREFIX_ALLOWLISTED', () => {
    const p = policy({ allow: ['202.12.27.0/24', '2400:cb00::/32'] });
    const r = policyRefusal(prefix('202.12.27.33'), p);
    expect(r?.code).toBe('PREFIX_ALLOWLISTED');
    expect(r?.reason).toContain('202.12.27.0/24');
    expect(code('2400:cb00:1::/48', p)).toBe('PREFIX_ALLOWLISTED');
    expect(code('202.12.28.1', p)).toBeNull();
  });

  it('does not refuse as allowlisted a prefix that merely contains an allowlisted one', () => {
    // Carving those addresses out happens when the effective list is projected (src/store/projector.ts).
    expect(code('202.12.0.0/16', policy({ allow: ['202.12.27.33'] }))).toBeNull();
  });

  it('refuses a prefix shorter than the minimum as PREFIX_TOO_SHORT, per family', () => {
    expect(code('61.0.0.0/15')).toBe('PREFIX_TOO_SHORT');
    expect(code('61.4.0.0/16')).toBeNull();
    expect(code('2400::/31')).toBe('PREFIX_TOO_SHORT');
    expect(code('2400:cb00::/32')).toBeNull();
    const strict = policy({ min4: 24, min6: 48 });
    const r = policyRefusal(prefix('116.31.0.0/16'), strict);
    expect(r?.code).toBe('PREFIX_TOO_SHORT');
    expect(r?.reason).toContain('/24');
    expect(code('116.31.64.0/24', strict)).toBeNull();
    expect(code('2400:cb00::/47', strict)).toBe('PREFIX_TOO_SHORT');
    expect(code('2400:cb00::/48', strict)).toBeNull();
  });

  it('checks in protocol order: special-purpose, then allowlist, then length', () => {
    expect(code('10.0.0.0/8', policy({ allow: ['10.0.0.0/8'] }))).toBe('PREFIX_SPECIAL_PURPOSE');
    expect(code('61.0.0.0/8', policy({ allow: ['61.0.0.0/8'] }))).toBe('PREFIX_ALLOWLISTED');
  });
});
