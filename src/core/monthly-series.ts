import type { ReportMonth } from './report-month.js';

const DAY_MS = 86_400_000;

/** The merged list's size from a given time on. */
export interface SizePoint {
  readonly at: number;
  readonly listed: number;
}

/**
 * The list size over `[month.from, end)` as a step series: the size the month started with,
 * then each hour it changed in (`hours`, the console counters' `list_size_hours` rows from the
 * month's start on, each the size after that hour's changes), then the size at `end` so the
 * line reaches it. `before` is the size of the last hour that changed before the month (0 when
 * none did).
 */
export function sizeSeries(month: ReportMonth, end: number, before: number, hours: readonly { hour: number; listed: number }[]): SizePoint[] {
  const points: SizePoint[] = [{ at: month.from, listed: before }];
  for (const h of hours) if (h.hour >= month.from && h.hour < end) points.push({ at: h.hour, listed: h.listed });
  const last = points.at(-1)!;
  if (last.at < end) points.push({ at: end, listed: last.listed });
  return points;
}

/** The size at the end of each UTC day of the series (the last day may end at `end`, in progress). */
export function dailySizes(series: readonly SizePoint[], end: number): SizePoint[] {
  const out: SizePoint[] = [];
  let i = 0;
  let listed = series[0]?.listed ?? 0;
  for (let day = (series[0]?.at ?? end) + DAY_MS; ; day += DAY_MS) {
    const upTo = Math.min(day, end);
    // A point at `upTo` itself is the size from then on, not within the day.
    while (i < series.length && series[i]!.at < upTo) listed = series[i++]!.listed;
    out.push({ at: upTo, listed });
    if (upTo >= end) return out;
  }
}

/** Per-source counts over a run of months, one number per month (0 where a source has no row). */
export function pivotMonths<R extends { readonly month: string; readonly source: string }>(
  months: readonly string[],
  rows: readonly R[],
  value: (row: R) => number,
): { source: string; values: number[] }[] {
  const bySource = new Map<string, number[]>();
  for (const row of rows) {
    const i = months.indexOf(row.month);
    if (i < 0) continue;
    let values = bySource.get(row.source);
    if (!values) bySource.set(row.source, (values = months.map(() => 0)));
    values[i]! += value(row);
  }
  return [...bySource].map(([source, values]) => ({ source, values })).sort((a, b) => a.source.localeCompare(b.source));
}
