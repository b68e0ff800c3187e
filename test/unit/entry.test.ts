import { describe, expect, it } from 'vitest';
import { checkEntry, DEFAULT_CATEGORY } from '../../src/core/entry.js';

const listing = {
  op: 'list',
  prefix: '61.4.12.7/32',
  firstSeen: '2026-11-22T09:01:13Z',
  lastSeen: '2026-11-22T10:02:40Z',
  reports: 17,
  expires: '2026-12-22T10:15:00Z',
  category: 'spam-origin',
};

const refusal = (raw: unknown): string => {
  const r = checkEntry(raw);
  return r.ok ? 'accepted' : r.code;
};

describe('checkEntry: list', () => {
  it('turns the wire entry into its internal shape', () => {
    const r = checkEntry(listing);
    expect(r).toEqual({
      ok: true,
      entry: {
        op: 'list',
        prefix: expect.objectContaining({ text: '61.4.12.7/32', family: 4, length: 32 }),
        firstSeen: Date.parse('2026-11-22T09:01:13Z'),
        lastSeen: Date.parse('2026-11-22T10:02:40Z'),
        reports: 17,
        expires: Date.parse('2026-12-22T10:15:00Z'),
        category: 'spam-origin',
      },
    });
  });

  it('canonicalises the prefix and defaults the category', () => {
    const { category: _omit, ...noCategory } = listing;
    const r = checkEntry({ ...noCategory, prefix: '2400:CB00:0:0::/32' });
    expect(r.ok && r.entry.prefix.text).toBe('2400:cb00::/32');
    expect(r.ok && r.entry.op === 'list' && r.entry.category).toBe(DEFAULT_CATEGORY);
  });

  it('allows firstSeen equal to lastSeen and ignores unknown members', () => {
    expect(refusal({ ...listing, firstSeen: listing.lastSeen, future: { x: 1 } })).toBe('accepted');
  });

  it.each([
    ['not an object', 'list'],
    ['null', null],
    ['an array', [listing]],
    ['no prefix', { ...listing, prefix: undefined }],
    ['a numeric prefix', { ...listing, prefix: 1 }],
    ['no op', { ...listing, op: undefined }],
    ['an unknown op', { ...listing, op: 'add' }],
    ['an upper-case op', { ...listing, op: 'LIST' }],
    ['no firstSeen', { ...listing, firstSeen: undefined }],
    ['no lastSeen', { ...listing, lastSeen: undefined }],
    ['no expires', { ...listing, expires: undefined }],
    ['a non-UTC time', { ...listing, expires: '2026-12-22T19:15:00+09:00' }],
    ['a numeric time', { ...listing, firstSeen: 1_795_342_500_000 }],
    ['firstSeen after lastSeen', { ...listing, firstSeen: '2026-11-22T10:02:41Z' }],
    ['no reports', { ...listing, reports: undefined }],
    ['zero reports', { ...listing, reports: 0 }],
    ['negative reports', { ...listing, reports: -3 }],
    ['fractional reports', { ...listing, reports: 1.5 }],
    ['string reports', { ...listing, reports: '17' }],
    ['unsafe-integer reports', { ...listing, reports: 2 ** 53 }],
    ['a numeric category', { ...listing, category: 7 }],
    ['an over-long category', { ...listing, category: 'x'.repeat(257) }],
  ])('refuses an entry with %s as ENTRY_MALFORMED', (_what, raw) => {
    expect(refusal(raw)).toBe('ENTRY_MALFORMED');
  });

  it('accepts a category of exactly 256 characters', () => {
    expect(refusal({ ...listing, category: 'x'.repeat(256) })).toBe('accepted');
  });

  it('reports prefix errors with the prefix codes and the prefix text as given', () => {
    const bad = checkEntry({ ...listing, prefix: '61.4.12.7/24' });
    expect(bad).toMatchObject({ ok: false, code: 'PREFIX_HOST_BITS', prefixText: '61.4.12.7/24' });
    expect(refusal({ ...listing, prefix: '01.2.3.4' })).toBe('PREFIX_INVALID');
    expect(refusal({ ...listing, prefix: '61.4.12.7/33' })).toBe('PREFIX_INVALID');
  });

  it('carries the prefix text with a malformed entry, or null when there was none', () => {
    expect(checkEntry({ ...listing, reports: 0 })).toMatchObject({ prefixText: '61.4.12.7/32' });
    expect(checkEntry({ op: 'list' })).toMatchObject({ prefixText: null });
  });

  it('does not apply local policy (special-purpose space is still well-formed)', () => {
    expect(refusal({ ...listing, prefix: '192.0.2.1' })).toBe('accepted');
  });
});

describe('checkEntry: delist', () => {
  it('needs only op and prefix', () => {
    const r = checkEntry({ op: 'delist', prefix: '116.31.64.0/24' });
    expect(r).toEqual({ ok: true, entry: { op: 'delist', prefix: expect.objectContaining({ text: '116.31.64.0/24' }), reason: null } });
  });

  it('keeps a reason', () => {
    const r = checkEntry({ op: 'delist', prefix: '116.31.64.0/24', reason: 'false-positive' });
    expect(r.ok && r.entry.op === 'delist' && r.entry.reason).toBe('false-positive');
  });

  it('refuses a non-string or over-long reason, and a bad prefix', () => {
    expect(refusal({ op: 'delist', prefix: '116.31.64.0/24', reason: 5 })).toBe('ENTRY_MALFORMED');
    expect(refusal({ op: 'delist', prefix: '116.31.64.0/24', reason: 'x'.repeat(257) })).toBe('ENTRY_MALFORMED');
    expect(refusal({ op: 'delist', prefix: '116.31.64.1/24' })).toBe('PREFIX_HOST_BITS');
  });
});
