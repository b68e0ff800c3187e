import { pivotMonths } from '../../core/monthly-series.js';
import { monthHolding, shiftMonth } from '../../core/report-month.js';
import { formatTimestamp } from '../../core/time.js';
import { listingMonths, listSizeHours, refusalMonths } from '../../store/console-counters.js';
import type { Store } from '../../store/open-store.js';

const HOUR_MS = 3_600_000;

/**
 * The overview's series, read from the counters kept as changes are projected
 * (store/console-counters.ts): never from the batches. Each answer is what one chart draws.
 */

/** `YYYY-MM` of the first of the last `months` months (UTC), the one holding `now` the last. */
function firstOfLast(months: number, now: number): string {
  return shiftMonth(monthHolding(now), -(months - 1)).name;
}

/** The merged list's size at the end of each hour it changed in, and now. */
export function listSizeSeries(store: Store, now: number, days = 90) {
  const points = listSizeHours(store, now - days * 86_400_000, now).map((p) => ({ at: formatTimestamp(p.hour), listed: p.listed }));
  const last = points.at(-1);
  // The size holds until the next change: the line runs on to the current hour.
  const hour = now - (now % HOUR_MS);
  if (last && Date.parse(last.at) < hour) points.push({ at: formatTimestamp(hour), listed: last.listed });
  return { unit: 'listed pieces', asOf: formatTimestamp(now), points };
}

/** Listings started (and ended) per month by each source centre, over the last `months` months. */
export function listingsByMonthSeries(store: Store, now: number, months = 24) {
  const rows = listingMonths(store, firstOfLast(months, now));
  const monthList = [...new Set(rows.map((r) => r.month))].sort();
  // Both pivots hold every source of `rows`, in the same (source) order.
  const ended = pivotMonths(monthList, rows, (r) => r.ended);
  const sources = pivotMonths(monthList, rows, (r) => r.started).map(({ source, values }, k) => ({ source, started: values, ended: ended[k]!.values }));
  return { unit: 'listings started', asOf: formatTimestamp(now), months: monthList, sources };
}

/** Refused entries by reason code (and by publisher and code), over the last `months` months. */
export function refusalSeries(store: Store, now: number, months = 12) {
  const from = firstOfLast(months, now);
  const rows = refusalMonths(store, from);
  const byCode = new Map<string, number>();
  const byPublisher = new Map<string, number>();
  for (const r of rows) {
    byCode.set(r.code, (byCode.get(r.code) ?? 0) + r.count);
    byPublisher.set(`${r.publisher} ${r.code}`, (byPublisher.get(`${r.publisher} ${r.code}`) ?? 0) + r.count);
  }
  const codes = [...byCode].map(([code, count]) => ({ code, count })).sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
  const publishers = [...byPublisher]
    .map(([key, count]) => {
      const [publisher, code] = key.split(' ') as [string, string];
      return { publisher, code, count };
    })
    .sort((a, b) => a.publisher.localeCompare(b.publisher) || b.count - a.count);
  return { unit: 'refused entries', asOf: formatTimestamp(now), since: from, codes, byPublisher: publishers, total: codes.reduce((n, c) => n + c.count, 0) };
}
