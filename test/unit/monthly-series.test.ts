import { describe, expect, it } from 'vitest';
import { dailySizes, pivotMonths, sizeSeries } from '../../src/core/monthly-series.js';
import { monthHolding, parseReportMonth, shiftMonth } from '../../src/core/report-month.js';
import { SpamxError } from '../../src/core/errors.js';

const H = 3_600_000;
const D = 24 * H;
const NOV = Date.parse('2026-11-01T00:00:00Z');
const DEC = Date.parse('2026-12-01T00:00:00Z');

describe('report months', () => {
  it('bounds a month in UTC, across the year', () => {
    expect(parseReportMonth('2026-11', DEC + 5 * D)).toEqual({ name: '2026-11', from: NOV, to: DEC });
    expect(shiftMonth(monthHolding(DEC), 1)).toEqual({ name: '2027-01', from: Date.parse('2027-01-01T00:00:00Z'), to: Date.parse('2027-02-01T00:00:00Z') });
    expect(shiftMonth(monthHolding(NOV), -11).name).toBe('2025-12');
    expect(monthHolding(DEC - 1).name).toBe('2026-11');
  });

  it('takes the month in progress and refuses one not started, malformed or impossible', () => {
    expect(parseReportMonth('2026-12', DEC).name).toBe('2026-12');
    const refused = (text: string) => {
      try {
        parseReportMonth(text, DEC + D);
      } catch (err) {
        return err instanceof SpamxError && err.code === 'BAD_REQUEST' ? err.message : 'other';
      }
      return 'accepted';
    };
    expect(refused('2027-01')).toContain('has not started yet (it is 2026-12 in UTC)');
    expect(refused('2026-00')).toContain('01 to 12');
    expect(refused('2026-1')).toContain('YYYY-MM');
    expect(refused('1969-12')).toContain('before 1970');
    expect(refused('2026-11\n')).toContain('YYYY-MM');
  });
});

describe('list size series', () => {
  const nov = parseReportMonth('2026-11', DEC + D);

  it('starts from the size before the month, steps at each hour it changed, and reaches the end', () => {
    const hours = [
      { hour: NOV + 5 * H, listed: 12 },
      { hour: NOV + 2 * D + 3 * H, listed: 7 },
    ];
    expect(sizeSeries(nov, DEC, 10, hours)).toEqual([
      { at: NOV, listed: 10 },
      { at: NOV + 5 * H, listed: 12 },
      { at: NOV + 2 * D + 3 * H, listed: 7 },
      { at: DEC, listed: 7 },
    ]);
    // Hours outside [from, end) are not the month's; a month that never changed is flat.
    expect(sizeSeries(nov, NOV + D, 3, [{ hour: NOV + 2 * D, listed: 9 }])).toEqual([
      { at: NOV, listed: 3 },
      { at: NOV + D, listed: 3 },
    ]);
  });

  it('gives the size at the end of each UTC day, the last day ending at the period end', () => {
    const series = sizeSeries(nov, NOV + 2 * D + 6 * H, 1, [
      { hour: NOV + 4 * H, listed: 5 },
      { hour: NOV + D, listed: 8 },
    ]);
    expect(dailySizes(series, NOV + 2 * D + 6 * H)).toEqual([
      { at: NOV + D, listed: 5 },
      { at: NOV + 2 * D, listed: 8 },
      { at: NOV + 2 * D + 6 * H, listed: 8 },
    ]);
    expect(dailySizes(sizeSeries(nov, DEC, 0, []), DEC)).toHaveLength(30);
  });
});

describe('pivotMonths', () => {
  it('gives each source one number per month, 0 where it has no row, sources in name order', () => {
    const months = ['2026-10', '2026-11'];
    const rows = [
      { month: '2026-11', source: 'jp', started: 4 },
      { month: '2026-10', source: 'cn', started: 2 },
      { month: '2026-09', source: 'cn', started: 99 },
      { month: '2026-11', source: 'cn', started: 1 },
    ];
    expect(pivotMonths(months, rows, (r) => r.started)).toEqual([
      { source: 'cn', values: [2, 1] },
      { source: 'jp', values: [0, 4] },
    ]);
  });
});
