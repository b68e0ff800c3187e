import { describe, expect, it } from 'vitest';
import { ReportMerger } from '../../src/core/report-merge.js';
import type { QueuedReport } from '../../src/core/report.js';
import { DAY_MS } from '../../src/core/time.js';
import { prefix, T0 } from './fixtures.js';

const HOUR = 3_600_000;

function report(text: string, overrides: Partial<QueuedReport> = {}): QueuedReport {
  return { op: 'list', prefix: prefix(text), firstSeen: T0, lastSeen: T0, reports: 1, expires: null, category: null, reason: null, ...overrides };
}

function delist(text: string, reason: string | null = 'false-positive'): QueuedReport {
  return report(text, { op: 'delist', reason });
}

const newMerger = (max = 100): ReportMerger => new ReportMerger(30 * DAY_MS, max);

describe('ReportMerger', () => {
  it('turns one report into a list entry with the default expiry and category', () => {
    const m = newMerger();
    expect(m.add(report('61.4.12.7', { lastSeen: T0 + HOUR }))).toBe(true);
    expect(m.entries()).toEqual([
      { op: 'list', prefix: prefix('61.4.12.7'), firstSeen: T0, lastSeen: T0 + HOUR, reports: 1, expires: T0 + HOUR + 30 * DAY_MS, category: 'spam-origin' },
    ]);
  });

  it('merges reports of one prefix: earliest firstSeen, latest lastSeen, summed reports, latest expiry', () => {
    const m = newMerger();
    m.add(report('61.4.12.7', { firstSeen: T0, lastSeen: T0 + HOUR, reports: 3, expires: T0 + 5 * DAY_MS }));
    m.add(report('61.4.12.7', { firstSeen: T0 - 2 * HOUR, lastSeen: T0, reports: 4, expires: T0 + 2 * DAY_MS }));
    m.add(report('61.4.12.7', { firstSeen: T0 + HOUR, lastSeen: T0 + 3 * HOUR, reports: 10, expires: T0 + 9 * DAY_MS }));
    expect(m.size).toBe(1);
    expect(m.entries()[0]).toMatchObject({ op: 'list', firstSeen: T0 - 2 * HOUR, lastSeen: T0 + 3 * HOUR, reports: 17, expires: T0 + 9 * DAY_MS });
  });

  it('takes the later default expiry when a report gives none', () => {
    const m = newMerger();
    m.add(report('61.4.12.7', { expires: T0 + DAY_MS }));
    m.add(report('61.4.12.7', { lastSeen: T0 + HOUR }));
    expect(m.entries()[0]).toMatchObject({ expires: T0 + HOUR + 30 * DAY_MS });
  });

  it('keeps the latest category given, and keeps the earlier one when a later report gives none', () => {
    const m = newMerger();
    m.add(report('61.4.12.7', { category: 'botnet' }));
    m.add(report('61.4.12.7'));
    expect(m.entries()[0]).toMatchObject({ category: 'botnet' });
    m.add(report('61.4.12.7', { category: 'snowshoe' }));
    expect(m.entries()[0]).toMatchObject({ category: 'snowshoe' });
  });

  it('merges different spellings of one prefix into one entry', () => {
    const m = newMerger();
    m.add(report('61.4.12.7'));
    m.add(report('::ffff:61.4.12.7'));
    m.add(report('2400:CB00::/32'));
    m.add(report('2400:cb00:0::/32'));
    expect(m.entries().map((e) => [e.prefix.text, e.op === 'list' ? e.reports : 0])).toEqual([
      ['61.4.12.7/32', 2],
      ['2400:cb00::/32', 2],
    ]);
  });

  it('lets a delist after a list win', () => {
    const m = newMerger();
    m.add(report('61.4.12.7', { reports: 8 }));
    m.add(delist('61.4.12.7'));
    expect(m.entries()).toEqual([{ op: 'delist', prefix: prefix('61.4.12.7'), reason: 'false-positive' }]);
  });

  it('re-lists after a delist, starting afresh rather than from the discarded reports', () => {
    const m = newMerger();
    m.add(report('61.4.12.7', { reports: 8, firstSeen: T0 - DAY_MS }));
    m.add(delist('61.4.12.7'));
    m.add(report('61.4.12.7', { reports: 2, firstSeen: T0 + HOUR, lastSeen: T0 + HOUR }));
    expect(m.entries()).toEqual([
      { op: 'list', prefix: prefix('61.4.12.7'), firstSeen: T0 + HOUR, lastSeen: T0 + HOUR, reports: 2, expires: T0 + HOUR + 30 * DAY_MS, category: 'spam-origin' },
    ]);
  });

  it('keeps entries in the order their prefixes were first queued', () => {
    const m = newMerger();
    for (const t of ['202.12.27.33', '61.4.12.7', '2400:cb00::/32', '61.4.12.7', '116.31.64.0/24']) m.add(report(t));
    expect(m.entries().map((e) => e.prefix.text)).toEqual(['202.12.27.33/32', '61.4.12.7/32', '2400:cb00::/32', '116.31.64.0/24']);
  });

  it('refuses a new prefix once the cap is reached, changing nothing, but still merges known ones', () => {
    const m = newMerger(2);
    expect(m.add(report('61.4.12.7'))).toBe(true);
    expect(m.add(report('116.31.64.0/24'))).toBe(true);
    const before = m.entries();
    expect(m.add(report('202.12.27.33'))).toBe(false);
    expect(m.add(delist('2400:cb00::/32'))).toBe(false);
    expect(m.entries()).toEqual(before);
    expect(m.size).toBe(2);
    expect(m.add(report('61.4.12.7', { reports: 4 }))).toBe(true);
    expect(m.add(delist('116.31.64.0/24'))).toBe(true);
    expect(m.entries().map((e) => [e.op, e.prefix.text, e.op === 'list' ? e.reports : null])).toEqual([
      ['list', '61.4.12.7/32', 5],
      ['delist', '116.31.64.0/24', null],
    ]);
  });
});
