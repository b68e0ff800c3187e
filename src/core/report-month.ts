import { SpamxError } from './errors.js';

/** A calendar month in UTC, as a monthly report covers it. */
export interface ReportMonth {
  /** `YYYY-MM`. */
  readonly name: string;
  /** Its first millisecond (UTC). */
  readonly from: number;
  /** The first millisecond of the next month. */
  readonly to: number;
}

/** The UTC month `YYYY-MM` holding a time in ms. */
export function monthHolding(ms: number): ReportMonth {
  return reportMonth(new Date(ms).toISOString().slice(0, 7));
}

/** `YYYY-MM` shifted by `delta` months (negative: earlier). */
export function shiftMonth(month: ReportMonth, delta: number): ReportMonth {
  const d = new Date(month.from);
  return monthHolding(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + delta, 1));
}

/**
 * `YYYY-MM` (RFC 3339's date-fullyear "-" date-month, in UTC) checked against `now`: a month
 * that has not started yet has nothing to report and is refused; the month in progress is
 * reported so far. Throws BAD_REQUEST naming what is wrong.
 */
export function parseReportMonth(text: string, now: number): ReportMonth {
  if (!/^\d{4}-\d{2}$/.test(text)) throw new SpamxError('BAD_REQUEST', `month "${text.slice(0, 40)}" is not of the form YYYY-MM (e.g. 2026-11)`);
  const m = Number(text.slice(5));
  if (m < 1 || m > 12) throw new SpamxError('BAD_REQUEST', `month "${text}": the month must be 01 to 12`);
  if (text < '1970-01') throw new SpamxError('BAD_REQUEST', `month "${text}" is before 1970`);
  const month = reportMonth(text);
  if (month.from > now) throw new SpamxError('BAD_REQUEST', `month ${text} has not started yet (it is ${monthHolding(now).name} in UTC)`);
  return month;
}

function reportMonth(name: string): ReportMonth {
  const year = Number(name.slice(0, 4));
  const m = Number(name.slice(5)) - 1;
  return { name, from: Date.UTC(year, m, 1), to: Date.UTC(year, m + 1, 1) };
}
