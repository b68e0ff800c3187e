import { monthHolding, type ReportMonth } from '../core/report-month.js';
import { getMeta, setMeta } from './meta-store.js';
import { writeTransaction, type Store } from './open-store.js';

const CHANGES_AT = 'console_changes_position';
const REFUSALS_AT = 'console_refusals_position';
const LISTED = 'console_listed';
const HOUR_MS = 3_600_000;
/** At most this many log rows are counted per call, so one call never holds the thread long. */
const STEP = 200_000;

/**
 * Advances the console's counters (schema.ts `listing_months`, `list_size_hours`,
 * `refusal_months`) over the `changes` and `refusals` rows logged since the last call, in one
 * write transaction, so two processes projecting the same store never count a row twice. Called
 * right after each projection, before old changes are pruned. A store that had listings before
 * the counters existed is counted once from `effective` (each piece's `listed_at` month and its
 * sources), and the logs from their ends. Returns the rows counted.
 */
export function advanceConsoleCounters(store: Store): number {
  // Most projections log nothing new for the counters: two indexed reads, and no write
  // transaction, decide that (a call that misses a row racing in counts it next time).
  if (!logsMoved(store)) return 0;
  return writeTransaction(store, () => {
    const changesAt = getMeta(store, CHANGES_AT);
    if (changesAt === undefined) {
      startCounters(store);
      return 0;
    }
    const from = Number(changesAt);
    let listed = Number(getMeta(store, LISTED) ?? '0');
    const newest = (store.prepare('SELECT max(id) FROM changes').pluck().get() as number | null) ?? from;
    const to = Math.min(newest, from + STEP);
    // Grouped in SQLite: a projection logs its (up to 100,000) changes at one time and with few
    // distinct source sets, so this is a handful of rows (row by row in JavaScript: 230 ms).
    const groups = store
      .prepare(
        `SELECT at, op, sources, count(*) AS n FROM changes WHERE id > ? AND id <= ? AND op != 'updated'
         GROUP BY at, op, sources ORDER BY at`,
      )
      .all(from, to) as { at: number; op: 'added' | 'removed'; sources: string | null; n: number }[];
    const months: MonthCounts = new Map();
    const hours = new Map<number, number>();
    const month = monthCache();
    for (const group of groups) {
      const added = group.op === 'added';
      listed += added ? group.n : -group.n;
      hours.set(group.at - (group.at % HOUR_MS), listed);
      countSources(months, month(group.at), group.sources ? group.sources.split(' ') : [], added ? group.n : 0, added ? 0 : group.n);
    }
    addListingMonths(store, months);
    const setHour = store.prepare('INSERT INTO list_size_hours (hour, listed) VALUES (?, ?) ON CONFLICT (hour) DO UPDATE SET listed = excluded.listed');
    for (const [hour, size] of hours) setHour.run(hour, size);
    setMeta(store, CHANGES_AT, String(to));
    setMeta(store, LISTED, String(listed));
    return to - from + countRefusals(store);
  });
}

/** True when `changes` or `refusals` holds rows the counters have not counted (or they never started). */
function logsMoved(store: Store): boolean {
  const changesAt = getMeta(store, CHANGES_AT);
  if (changesAt === undefined) return true;
  const { changes, refusals } = store.prepare('SELECT (SELECT max(id) FROM changes) AS changes, (SELECT max(id) FROM refusals) AS refusals').get() as {
    changes: number | null;
    refusals: number | null;
  };
  return (changes ?? 0) > Number(changesAt) || (refusals ?? 0) > Number(getMeta(store, REFUSALS_AT) ?? '0');
}

/** Listings started and ended, keyed `"YYYY-MM source"`. */
type MonthCounts = Map<string, { started: number; ended: number }>;

/** Adds `started` and `ended` to each source's counts of `month`. */
function countSources(months: MonthCounts, month: string, sources: readonly string[], started: number, ended: number): void {
  for (const source of sources) {
    const key = `${month} ${source}`;
    const counts = months.get(key) ?? { started: 0, ended: 0 };
    counts.started += started;
    counts.ended += ended;
    months.set(key, counts);
  }
}

/** Adds counts keyed `"YYYY-MM source"` to `listing_months`. */
function addListingMonths(store: Store, months: MonthCounts): void {
  const add = store.prepare(
    `INSERT INTO listing_months (month, source, started, ended) VALUES (?, ?, ?, ?)
     ON CONFLICT (month, source) DO UPDATE SET started = started + excluded.started, ended = ended + excluded.ended`,
  );
  for (const [key, counts] of months) {
    const [month, source] = key.split(' ') as [string, string];
    add.run(month, source, counts.started, counts.ended);
  }
}

/**
 * `YYYY-MM` (UTC) for a run of times that mostly fall in one month: a projection logs 100,000
 * changes at one time, and a date string for each took longer than the counting.
 */
function monthCache(): (ms: number) => string {
  let month: ReportMonth = { name: '', from: 0, to: -1 };
  return (ms) => {
    if (ms < month.from || ms >= month.to) month = monthHolding(ms);
    return month.name;
  };
}

/** Refusals logged since the last call, added to their month's counts in one statement. */
function countRefusals(store: Store): number {
  const from = Number(getMeta(store, REFUSALS_AT) ?? '0');
  const to = store.prepare('SELECT max(id) FROM refusals').pluck().get() as number | null;
  if (to === null || to <= from) return 0;
  const counted = store
    .prepare(
      `INSERT INTO refusal_months (month, publisher, code, count)
       SELECT strftime('%Y-%m', at / 1000, 'unixepoch'), publisher, code, count(*) FROM refusals WHERE id > ? AND id <= ? GROUP BY 1, 2, 3
       ON CONFLICT (month, publisher, code) DO UPDATE SET count = count + excluded.count`,
    )
    .run(from, to).changes;
  setMeta(store, REFUSALS_AT, String(to));
  return counted;
}

/** The first call on a store: what is listed now stands for the history the logs no longer hold. */
function startCounters(store: Store): void {
  const rows = store.prepare('SELECT listed_at AS at, sources FROM effective').iterate() as IterableIterator<{ at: number; sources: string }>;
  const months: MonthCounts = new Map();
  const month = monthCache();
  let listed = 0;
  for (const row of rows) {
    listed++;
    countSources(months, month(row.at), row.sources.split(' '), 1, 0);
  }
  addListingMonths(store, months);
  const newest = store.prepare('SELECT max(id) AS id, max(at) AS at FROM changes').get() as { id: number | null; at: number | null };
  if (newest.at !== null) store.prepare('INSERT OR REPLACE INTO list_size_hours (hour, listed) VALUES (?, ?)').run(newest.at - (newest.at % HOUR_MS), listed);
  setMeta(store, CHANGES_AT, String(newest.id ?? 0));
  setMeta(store, LISTED, String(listed));
  countRefusals(store);
}

/** The served list's size as last counted (a running total of `changes`; no count of the table). */
export function listedNow(store: Store): number {
  return Number(getMeta(store, LISTED) ?? '0');
}

export interface ListingMonth {
  readonly month: string;
  readonly source: string;
  readonly started: number;
  readonly ended: number;
}

/** Listings started and ended per month and source centre, from `from` (YYYY-MM) to `to`, inclusive. */
export function listingMonths(store: Store, from = '0000-00', to = '9999-99'): ListingMonth[] {
  return store
    .prepare('SELECT month, source, started, ended FROM listing_months WHERE month >= ? AND month <= ? ORDER BY month, source')
    .all(from, to) as ListingMonth[];
}

/** The merged list's size at the end of each hour it changed in, between two times (ms). */
export function listSizeHours(store: Store, from = 0, to = Number.MAX_SAFE_INTEGER): { hour: number; listed: number }[] {
  return store.prepare('SELECT hour, listed FROM list_size_hours WHERE hour >= ? AND hour <= ? ORDER BY hour').all(from, to) as { hour: number; listed: number }[];
}

export interface RefusalMonth {
  readonly month: string;
  readonly publisher: string;
  readonly code: string;
  readonly count: number;
}

/** Refusals per month, publisher and code, from `from` (YYYY-MM) to `to`, inclusive. */
export function refusalMonths(store: Store, from = '0000-00', to = '9999-99'): RefusalMonth[] {
  return store
    .prepare('SELECT month, publisher, code, count FROM refusal_months WHERE month >= ? AND month <= ? ORDER BY month, publisher, code')
    .all(from, to) as RefusalMonth[];
}
