import { and, eq, isNull, lt, sql } from 'drizzle-orm';
import type { Store } from './open-store.js';
import { mailReports } from './schema.js';

/*
 * The daily scope reports' bookkeeping (src/serve/mail/mail-reports.ts): one row per subscriber
 * and UTC day, written when a send was tried. Cold: a few rows per run of the reports, on
 * drizzle's query builder. And the change log read by time, which the reports are made from.
 */

export interface MailReportRow {
  readonly subscriberId: number;
  /** The UTC day reported, YYYY-MM-DD. */
  readonly day: string;
  readonly attempts: number;
  readonly sentAt: number | null;
  /** When a failed send may be tried again; null once sent or given up. */
  readonly nextAttemptAt: number | null;
  readonly lastError: string | null;
}

const ROW = {
  subscriberId: mailReports.subscriberId,
  day: mailReports.day,
  attempts: mailReports.attempts,
  sentAt: mailReports.sentAt,
  nextAttemptAt: mailReports.nextAttemptAt,
  lastError: mailReports.lastError,
};

/** The rows of one day's reports, by subscriber id. */
export function mailReportsOfDay(store: Store, day: string): Map<number, MailReportRow> {
  const rows = store.orm.select(ROW).from(mailReports).where(eq(mailReports.day, day)).all();
  return new Map(rows.map((r) => [r.subscriberId, r]));
}

/** Reports of any day not sent yet and not given up (fewer than `maxAttempts` sends tried). */
export function unsentMailReports(store: Store, maxAttempts: number): MailReportRow[] {
  return store.orm
    .select(ROW)
    .from(mailReports)
    .where(and(isNull(mailReports.sentAt), lt(mailReports.attempts, maxAttempts)))
    .orderBy(mailReports.day, mailReports.subscriberId)
    .all();
}

/** A send the relay accepted: the report is done, and its attempts counted with this one. */
export function recordMailSent(store: Store, subscriberId: number, day: string, at: number): void {
  store.orm
    .insert(mailReports)
    .values({ subscriberId, day, attempts: 1, sentAt: at, nextAttemptAt: null })
    .onConflictDoUpdate({
      target: [mailReports.subscriberId, mailReports.day],
      set: { attempts: sql`${mailReports.attempts} + 1`, sentAt: at, nextAttemptAt: null },
    })
    .run();
}

/**
 * A failed send: the error kept, the attempt counted, and the next one due at `nextAttemptAt`
 * (null: given up). Answers the attempts made so far, this one included.
 */
export function recordMailFailure(store: Store, subscriberId: number, day: string, error: string, nextAttemptAt: number | null): number {
  const row = store.orm
    .insert(mailReports)
    .values({ subscriberId, day, attempts: 1, nextAttemptAt, lastError: error })
    .onConflictDoUpdate({
      target: [mailReports.subscriberId, mailReports.day],
      set: { attempts: sql`${mailReports.attempts} + 1`, nextAttemptAt, lastError: error },
    })
    .returning({ attempts: mailReports.attempts })
    .get();
  return row.attempts;
}

/** One logged change of the effective list, with the piece's sources at the change. */
export interface LoggedChange {
  readonly id: number;
  readonly op: 'added' | 'removed' | 'updated';
  readonly key: string;
  readonly prefix: string;
  readonly at: number;
  /** Space-separated; null in rows logged before the column existed. */
  readonly sources: string | null;
  /** The piece's label at the change (core/tlp.ts rank); null in rows from before labels (green). */
  readonly tlp?: number | null;
}

/**
 * The changes with ids in (afterId, throughId] logged from `from` (inclusive) to `until`
 * (exclusive), in log order. There is no index on `at`: callers read the log a window of ids at a
 * time (the primary key bounds each read), giving the event loop a turn between windows, so a
 * week of a busy node's log is never one long scan on the thread that answers DNS. Prepared:
 * one statement for every window (no benchmark: it runs a few times a day).
 */
export function changesBetween(store: Store, from: number, until: number, afterId: number, throughId: number): LoggedChange[] {
  return store
    .prepare('SELECT id, op, key, prefix, at, sources, tlp FROM changes WHERE id > ? AND id <= ? AND at >= ? AND at < ? ORDER BY id')
    .all(afterId, throughId, from, until) as LoggedChange[];
}

/** The id of the last change in (afterId, throughId] logged before `until`; 0 for none. */
export function lastChangeBefore(store: Store, until: number, afterId: number, throughId: number): number {
  // Prepared, and read a window at a time, as changesBetween.
  return (store.prepare('SELECT max(id) FROM changes WHERE id > ? AND id <= ? AND at < ?').pluck().get(afterId, throughId, until) as number | null) ?? 0;
}
