import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, parseDelists, parseReport, parseReportObjects } from '../../src/core/report.js';
import { SpamxError } from '../../src/core/errors.js';
import { policy, T0 } from './fixtures.js';

const pol = policy({ allow: ['202.12.27.0/24'] });
const at = (iso: string): number => Date.parse(iso);

describe('parseReport: plain text', () => {
  it('reads one address or prefix per line, skipping comments and blank lines', () => {
    const text = ['# reports from the honeypot', '', '61.4.12.7', '  116.31.64.0/24  # a whole /24', '2400:cb00::/32', '   ', '#61.4.12.8'].join('\n');
    const r = parseReport(text, T0, pol);
    expect(r.refused).toEqual([]);
    expect(r.accepted.map((a) => a.prefix.text)).toEqual(['61.4.12.7/32', '116.31.64.0/24', '2400:cb00::/32']);
    for (const a of r.accepted) {
      expect(a).toMatchObject({ op: 'list', firstSeen: T0, lastSeen: T0, reports: 1, expires: null, category: null, reason: null });
    }
  });

  it('handles CRLF line endings', () => {
    const r = parseReport('61.4.12.7\r\n202.12.28.1\r\n', T0, pol);
    expect(r.accepted.map((a) => a.prefix.text)).toEqual(['61.4.12.7/32', '202.12.28.1/32']);
  });

  it('refuses lines with their 1-based line number, text and code', () => {
    const text = ['# header comment', '61.4.12.7', '192.0.2.1', '', '202.12.27.33', '01.2.3.4', '61.4.12.7/24', '61.0.0.0/8', '116.31.64.0/24'].join('\n');
    const r = parseReport(text, T0, pol);
    expect(r.accepted.map((a) => a.prefix.text)).toEqual(['61.4.12.7/32', '116.31.64.0/24']);
    expect(r.refused.map((x) => [x.line, x.text, x.code])).toEqual([
      [3, '192.0.2.1', 'PREFIX_SPECIAL_PURPOSE'],
      [5, '202.12.27.33', 'PREFIX_ALLOWLISTED'],
      [6, '01.2.3.4', 'PREFIX_INVALID'],
      [7, '61.4.12.7/24', 'PREFIX_HOST_BITS'],
      [8, '61.0.0.0/8', 'PREFIX_TOO_SHORT'],
    ]);
    for (const x of r.refused) expect(x.reason).not.toBe('');
  });

  it('returns nothing for an empty or comment-only report', () => {
    expect(parseReport('', T0, pol)).toEqual({ accepted: [], refused: [] });
    expect(parseReport('# nothing\n\n#more\n', T0, pol)).toEqual({ accepted: [], refused: [] });
  });
});

describe('parseReport: CSV', () => {
  it('knows its columns', () => {
    expect(CSV_COLUMNS).toEqual(['prefix', 'first_seen', 'last_seen', 'reports', 'expires', 'category']);
  });

  it('reads the full header', () => {
    const text = [
      'prefix,first_seen,last_seen,reports,expires,category',
      '61.4.12.7,2026-11-22T09:01:13Z,2026-11-22T10:02:40Z,17,2026-12-22T10:15:00Z,spam-origin',
      '2400:cb00::/32,2026-11-20T00:00:00Z,2026-11-21T00:00:00Z,2,,botnet',
    ].join('\n');
    const r = parseReport(text, T0, pol);
    expect(r.refused).toEqual([]);
    expect(r.accepted).toHaveLength(2);
    expect(r.accepted[0]).toMatchObject({
      op: 'list',
      firstSeen: at('2026-11-22T09:01:13Z'),
      lastSeen: at('2026-11-22T10:02:40Z'),
      reports: 17,
      expires: at('2026-12-22T10:15:00Z'),
      category: 'spam-origin',
    });
    expect(r.accepted[0]!.prefix.text).toBe('61.4.12.7/32');
    expect(r.accepted[1]).toMatchObject({ reports: 2, expires: null, category: 'botnet' });
  });

  it('reads a subset of columns in any order, defaulting the rest', () => {
    const text = ['# exported by the monitor', 'Prefix, Reports, First_Seen', '61.4.12.7, 4, 2026-11-22T09:00:00Z', '116.31.64.0/24,,', ''].join('\n');
    const r = parseReport(text, T0, pol);
    expect(r.refused).toEqual([]);
    expect(r.accepted[0]).toMatchObject({ reports: 4, firstSeen: at('2026-11-22T09:00:00Z'), lastSeen: at('2026-11-22T09:00:00Z'), expires: null, category: null });
    expect(r.accepted[1]).toMatchObject({ reports: 1, firstSeen: T0, lastSeen: T0 });
  });

  it('reads a header naming only the prefix column', () => {
    const r = parseReport('prefix\n61.4.12.7\n116.31.64.0/24\n', T0, pol);
    expect(r.accepted.map((a) => a.prefix.text)).toEqual(['61.4.12.7/32', '116.31.64.0/24']);
  });

  it('refuses rows with their file line numbers and codes', () => {
    const text = [
      'prefix,first_seen,last_seen,reports', // 1
      '61.4.12.7,2026-11-22T09:00:00Z,2026-11-22T10:00:00Z,3', // 2
      '# a comment line', // 3
      '198.51.100.7,,,1', // 4
      '61.4.12.8,yesterday,,1', // 5
      '', // 6
      '61.4.12.9,,,0', // 7
      '61.4.12.10,,,2.5', // 8
      '61.4.12.11,2026-11-22T10:00:00Z,2026-11-22T09:00:00Z,1', // 9
      '61.4.12.13/31,,,1', // 10
      '202.12.27.1,,,1', // 11
      '116.31.64.0/24,,,9', // 12
    ].join('\n');
    const r = parseReport(text, T0, pol);
    expect(r.accepted.map((a) => [a.prefix.text, a.reports])).toEqual([
      ['61.4.12.7/32', 3],
      ['116.31.64.0/24', 9],
    ]);
    expect(r.refused.map((x) => [x.line, x.code])).toEqual([
      [4, 'PREFIX_SPECIAL_PURPOSE'],
      [5, 'ENTRY_MALFORMED'],
      [7, 'ENTRY_MALFORMED'],
      [8, 'ENTRY_MALFORMED'],
      [9, 'ENTRY_MALFORMED'],
      [10, 'PREFIX_HOST_BITS'],
      [11, 'PREFIX_ALLOWLISTED'],
    ]);
    expect(r.refused[0]!.text).toContain('198.51.100.7');
  });

  it('refuses every row when the header names an unknown column', () => {
    const r = parseReport('prefix,severity\n61.4.12.7,high\n116.31.64.0/24,low\n', T0, pol);
    expect(r.accepted).toEqual([]);
    expect(r.refused.map((x) => [x.line, x.code])).toEqual([
      [2, 'ENTRY_MALFORMED'],
      [3, 'ENTRY_MALFORMED'],
    ]);
    expect(r.refused[0]!.reason).toContain('severity');
  });

  it('answers a CSV it cannot read at all (ragged row, open quote) with BAD_REQUEST, not an internal error', () => {
    for (const text of ['prefix,reports\n61.4.12.7,3,extra\n', 'prefix,reports\n"61.4.12.7,3\n']) {
      let caught: unknown;
      try {
        parseReport(text, T0, pol);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(SpamxError);
      expect((caught as SpamxError).code).toBe('BAD_REQUEST');
    }
  });
});

describe('parseReportObjects', () => {
  it('reads camelCase objects with numbers as numbers', () => {
    const r = parseReportObjects(
      [
        { prefix: '61.4.12.7', firstSeen: '2026-11-22T09:00:00Z', lastSeen: '2026-11-22T10:00:00Z', reports: 5, expires: '2026-12-01T00:00:00Z', category: 'botnet' },
        { prefix: '2400:cb00::/32' },
      ],
      T0,
      pol,
    );
    expect(r.refused).toEqual([]);
    expect(r.accepted[0]).toMatchObject({
      firstSeen: at('2026-11-22T09:00:00Z'),
      lastSeen: at('2026-11-22T10:00:00Z'),
      reports: 5,
      expires: at('2026-12-01T00:00:00Z'),
      category: 'botnet',
    });
    expect(r.accepted[1]).toMatchObject({ firstSeen: T0, lastSeen: T0, reports: 1, expires: null, category: null });
  });

  it('reads a null member as an absent one, not as the text "null"', () => {
    const r = parseReportObjects([{ prefix: '61.4.12.7', expires: null, category: null, reports: null }], T0, pol);
    expect(r.refused).toEqual([]);
    expect(r.accepted[0]).toMatchObject({ expires: null, category: null, reports: 1 });
  });

  it('refuses objects by 1-based position with their codes', () => {
    const r = parseReportObjects(
      ['61.4.12.7', { prefix: '61.4.12.7' }, { prefix: '10.1.2.3' }, { prefix: '61.4.12.8', severity: 'high' }, { prefix: '61.4.12.9', reports: -1 }, null, { prefix: 61 }],
      T0,
      pol,
    );
    expect(r.accepted.map((a) => a.prefix.text)).toEqual(['61.4.12.7/32']);
    expect(r.refused.map((x) => [x.line, x.code])).toEqual([
      [1, 'PREFIX_INVALID'],
      [3, 'PREFIX_SPECIAL_PURPOSE'],
      [4, 'ENTRY_MALFORMED'],
      [5, 'ENTRY_MALFORMED'],
      [6, 'PREFIX_INVALID'],
      [7, 'PREFIX_INVALID'],
    ]);
    expect(r.refused[2]!.text).toBe('{"prefix":"61.4.12.8","severity":"high"}');
  });
});

describe('parseDelists', () => {
  it('needs only a valid prefix: no policy applies to withdrawing', () => {
    const r = parseDelists([' 61.4.12.7 ', '10.0.0.0/8', '202.12.27.33', '61.0.0.0/8', '61.4.12.7/24', 'nonsense'], 'false-positive', T0);
    expect(r.accepted.map((a) => a.prefix.text)).toEqual(['61.4.12.7/32', '10.0.0.0/8', '202.12.27.33/32', '61.0.0.0/8']);
    for (const a of r.accepted) expect(a).toMatchObject({ op: 'delist', reason: 'false-positive', firstSeen: T0, lastSeen: T0, expires: null });
    expect(r.refused.map((x) => [x.line, x.text, x.code])).toEqual([
      [5, '61.4.12.7/24', 'PREFIX_HOST_BITS'],
      [6, 'nonsense', 'PREFIX_INVALID'],
    ]);
  });

  it('keeps a null reason', () => {
    expect(parseDelists(['2400:cb00::/32'], null, T0).accepted[0]).toMatchObject({ op: 'delist', reason: null });
  });
});
