import { count, lte } from 'drizzle-orm';
import { parsePrefix } from '../core/prefix.js';
import type { QueuedReport } from '../core/report.js';
import { writeTransaction, type Store } from './open-store.js';
import { reportQueue } from './schema.js';

export interface QueuedRow extends QueuedReport {
  readonly id: number;
}

export function enqueueReports(store: Store, reports: readonly QueuedReport[], now: number): void {
  // Prepared: one run per reported line, and a report can hold 100,000 (no benchmark times it).
  const insert = store.prepare(
    `INSERT INTO report_queue (op, prefix, first_seen, last_seen, reports, expires, category, reason, queued_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  writeTransaction(store, () => {
    for (const r of reports) {
      insert.run(r.op, r.prefix.text, r.firstSeen, r.lastSeen, r.reports, r.expires, r.category, r.reason, now);
    }
  });
}

export function queuedCount(store: Store): number {
  return store.orm.select({ count: count() }).from(reportQueue).get()!.count;
}

/** Queued reports in the order they arrived; prefixes were canonical when queued. */
export function* queuedReports(store: Store): Generator<QueuedRow> {
  // Prepared and iterated, a row at a time: drizzle's builder would read the whole queue first.
  const rows = store
    .prepare(
      `SELECT id, op, prefix, first_seen AS firstSeen, last_seen AS lastSeen, reports, expires, category, reason
       FROM report_queue ORDER BY id`,
    )
    .iterate() as IterableIterator<Omit<QueuedRow, 'prefix'> & { prefix: string }>;
  for (const row of rows) {
    const parsed = parsePrefix(row.prefix);
    if (!parsed.ok) continue; // unreachable: only canonical prefixes are queued
    yield { ...row, prefix: parsed.prefix };
  }
}

/** Removes reports up to and including `lastId`, once they are in a stored batch. */
export function dequeueThrough(store: Store, lastId: number): void {
  store.orm.delete(reportQueue).where(lte(reportQueue.id, lastId)).run();
}
