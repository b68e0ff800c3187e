import { describe, expect, it } from 'vitest';
import {
  BATCH_TYP,
  buildBatchPayload,
  CENTRE_ID_RE,
  checkBatchShape,
  entryToWire,
  MAX_BATCH_ENTRIES,
  MAX_JWS_BYTES,
  PROTOCOL_VERSION,
} from '../../src/core/batch.js';
import { checkEntry, type Entry } from '../../src/core/entry.js';
import { DAY_MS } from '../../src/core/time.js';
import { prefix, T0, thrownCode } from './fixtures.js';

const PREV = 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg';

function payload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { spamx: 1, publisher: 'jp-dekyo', seq: 2, prev: PREV, issuedAt: '2026-11-22T10:15:00Z', entries: [], ...overrides };
}

const listEntry: Entry = {
  op: 'list',
  prefix: prefix('61.4.12.7'),
  firstSeen: T0 - 3_600_000,
  lastSeen: T0,
  reports: 17,
  expires: T0 + 30 * DAY_MS,
  category: 'spam-origin',
};

describe('constants', () => {
  it('match PROTOCOL "Batch"', () => {
    expect(PROTOCOL_VERSION).toBe(1);
    expect(BATCH_TYP).toBe('spamx-batch+jws');
    expect(MAX_BATCH_ENTRIES).toBe(100_000);
    expect(MAX_JWS_BYTES).toBe(48 * 1024 * 1024);
  });

  it('centre ids follow ^[a-z][a-z0-9-]{1,31}$', () => {
    for (const id of ['jp-dekyo', 'cn-isc', 'hk-ofta', 'tw-ncc', 'ab', `a${'b'.repeat(31)}`]) expect(CENTRE_ID_RE.test(id)).toBe(true);
    for (const id of ['a', 'JP-dekyo', '1jp', '-jp', 'jp_dekyo', `a${'b'.repeat(32)}`, 'jp dekyo', 'jp-dekyo\n']) expect(CENTRE_ID_RE.test(id)).toBe(false);
  });
});

describe('checkBatchShape', () => {
  it('accepts a well-formed payload and returns it', () => {
    const p = payload({ entries: [{ op: 'delist', prefix: '116.31.64.0/24' }] });
    expect(checkBatchShape(p)).toBe(p);
    expect(checkBatchShape(payload({ seq: 1, prev: null })).seq).toBe(1);
  });

  it('ignores members it does not know, for later protocol versions', () => {
    expect(() => checkBatchShape(payload({ note: 'hello', extensions: { a: 1 } }))).not.toThrow();
  });

  it('does not look inside entries (a bad entry never makes a batch inauthentic)', () => {
    expect(() => checkBatchShape(payload({ entries: ['junk', null, { op: 'list', prefix: '192.0.2.1' }] }))).not.toThrow();
  });

  it.each([
    ['not an object', 'payload'],
    ['null', null],
    ['an array', [payload()]],
    ['spamx missing', payload({ spamx: undefined })],
    ['spamx 2', payload({ spamx: 2 })],
    ['spamx "1"', payload({ spamx: '1' })],
    ['publisher missing', payload({ publisher: undefined })],
    ['publisher not a centre id', payload({ publisher: 'JP' })],
    ['seq 0', payload({ seq: 0 })],
    ['seq negative', payload({ seq: -1 })],
    ['seq fractional', payload({ seq: 1.5 })],
    ['seq a string', payload({ seq: '2' })],
    ['seq unsafe', payload({ seq: 2 ** 53 })],
    ['prev missing', payload({ prev: undefined })],
    ['prev too short', payload({ prev: PREV.slice(1) })],
    ['prev padded', payload({ prev: `${PREV}=` })],
    ['prev standard base64', payload({ prev: PREV.replace('-', '+') })],
    ['prev hex', payload({ prev: 'ab'.repeat(32) })],
    ['issuedAt missing', payload({ issuedAt: undefined })],
    ['issuedAt with offset', payload({ issuedAt: '2026-11-22T19:15:00+09:00' })],
    ['issuedAt a number', payload({ issuedAt: T0 })],
    ['entries missing', payload({ entries: undefined })],
    ['entries an object', payload({ entries: {} })],
  ])('refuses a payload with %s as BATCH_BAD_SHAPE', (_what, value) => {
    expect(thrownCode(() => checkBatchShape(value))).toBe('BATCH_BAD_SHAPE');
  });

  it('refuses more than MAX_BATCH_ENTRIES entries as BATCH_TOO_MANY_ENTRIES, and allows exactly that many', () => {
    const full = new Array<unknown>(MAX_BATCH_ENTRIES).fill(null);
    expect(() => checkBatchShape(payload({ entries: full }))).not.toThrow();
    expect(thrownCode(() => checkBatchShape(payload({ entries: [...full, null] })))).toBe('BATCH_TOO_MANY_ENTRIES');
  });
});

describe('entryToWire', () => {
  it('writes a list entry with RFC 3339 times', () => {
    expect(entryToWire(listEntry)).toEqual({
      op: 'list',
      prefix: '61.4.12.7/32',
      firstSeen: '2026-11-22T09:15:00Z',
      lastSeen: '2026-11-22T10:15:00Z',
      reports: 17,
      expires: '2026-12-22T10:15:00Z',
      category: 'spam-origin',
    });
  });

  it('writes a delist entry with its reason only when there is one', () => {
    expect(entryToWire({ op: 'delist', prefix: prefix('116.31.64.0/24'), reason: null })).toEqual({ op: 'delist', prefix: '116.31.64.0/24' });
    expect(entryToWire({ op: 'delist', prefix: prefix('116.31.64.0/24'), reason: 'false-positive' })).toEqual({
      op: 'delist',
      prefix: '116.31.64.0/24',
      reason: 'false-positive',
    });
  });

  it('round-trips through checkEntry', () => {
    const entries: Entry[] = [listEntry, { op: 'delist', prefix: prefix('2400:cb00::/32'), reason: 'fixed' }];
    for (const e of entries) {
      const back = checkEntry(JSON.parse(JSON.stringify(entryToWire(e))));
      expect(back).toEqual({ ok: true, entry: e });
    }
  });
});

describe('buildBatchPayload', () => {
  it('builds a payload that passes checkBatchShape', () => {
    const built = buildBatchPayload({ publisher: 'jp-dekyo', seq: 1, prev: null, issuedAt: T0, entries: [listEntry] });
    expect(built).toEqual({
      spamx: 1,
      publisher: 'jp-dekyo',
      seq: 1,
      prev: null,
      issuedAt: '2026-11-22T10:15:00Z',
      tlp: 'green',
      entries: [entryToWire(listEntry)],
    });
    expect(checkBatchShape(JSON.parse(JSON.stringify(built)))).toEqual(built);
  });

  it('refuses more than MAX_BATCH_ENTRIES entries', () => {
    const entries = new Array<Entry>(MAX_BATCH_ENTRIES + 1).fill(listEntry);
    expect(thrownCode(() => buildBatchPayload({ publisher: 'jp-dekyo', seq: 1, prev: null, issuedAt: T0, entries }))).toBe('BATCH_TOO_MANY_ENTRIES');
  });
});
