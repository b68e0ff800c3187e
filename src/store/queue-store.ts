import { count } from 'drizzle-orm';
import { parsePrefix } from '../core/prefix.js';
import type { QueuedReport } from '../core/report.js';
import { writeTransaction, type Store } from './open-store.js';
import { reportQueue } from './schema.js';

export interface QueuedRow extends QueuedReport {
  readonly id: number;
}

/**
 * How queued reports are to be published: under which label (a core/tlp.ts rank; null for the
 * node's default, `publish.tlp`) and, for a sealed batch, to whom (recipients' ids, sorted,
 * space-separated; null for an open batch).
 */
export interface QueueLabel {
  readonly tlp?: number | null | undefined;
  readonly recipients?: string | null | undefined;
}

/**
 * One batch's worth of the queue: rows of one label and one recipient list. The label is the
 * rank with the node's default filled in, so rows queued without one and rows naming the default
 * are published together.
 */
export interface QueueGroup {
  readonly tlp: number;
  readonly recipients: string | null;
}

export function enqueueReports(store: Store, reports: readonly QueuedReport[], now: number, label: QueueLabel = {}): void {
  // Prepared: one run per reported line, and a report can hold 100,000 (no benchmark times it).
  const insert = store.prepare(
    `INSERT INTO report_queue (op, prefix, first_seen, last_seen, reports, expires, category, reason, queued_at, tlp, recipients)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  writeTransaction(store, () => {
    for (const r of reports) {
      insert.run(r.op, r.prefix.text, r.firstSeen, r.lastSeen, r.reports, r.expires, r.category, r.reason, now, label.tlp ?? null, label.recipients ?? null);
    }
  });
}

/**
 * The group of the queue's oldest row, undefined when the queue is empty (ingest/publish-batches.ts
 * cuts one batch per group at a time). The key is (label, recipients): recipients are part of it,
 * so a sealed batch never carries reports meant for others. Read off the oldest row (one rowid
 * lookup), not by grouping the whole queue.
 */
export function oldestQueueGroup(store: Store, defaultTlp: number): QueueGroup | undefined {
  return store.prepare('SELECT coalesce(tlp, ?) AS tlp, recipients FROM report_queue ORDER BY id LIMIT 1').get(defaultTlp) as QueueGroup | undefined;
}

export function queuedCount(store: Store): number {
  return store.orm.select({ count: count() }).from(reportQueue).get()!.count;
}

/** Queued reports in the order they arrived; prefixes were canonical when queued. */
export function* queuedReports(store: Store, group: QueueGroup & { readonly defaultTlp: number }): Generator<QueuedRow> {
  // Prepared and iterated, a row at a time: drizzle's builder would read the whole queue first.
  const rows = store
    .prepare(
      `SELECT id, op, prefix, first_seen AS firstSeen, last_seen AS lastSeen, reports, expires, category, reason
       FROM report_queue WHERE coalesce(tlp, @defaultTlp) = @tlp AND recipients IS @recipients ORDER BY id`,
    )
    .iterate({ defaultTlp: group.defaultTlp, tlp: group.tlp, recipients: group.recipients }) as IterableIterator<Omit<QueuedRow, 'prefix'> & { prefix: string }>;
  for (const row of rows) {
    const parsed = parsePrefix(row.prefix);
    if (!parsed.ok) continue; // unreachable: only canonical prefixes are queued
    yield { ...row, prefix: parsed.prefix };
  }
}

/** Removes reports up to and including `lastId`, once they are in a stored batch. */
export function dequeueThrough(store: Store, lastId: number, group: QueueGroup & { readonly defaultTlp: number }): void {
  store
    .prepare('DELETE FROM report_queue WHERE id <= @lastId AND coalesce(tlp, @defaultTlp) = @tlp AND recipients IS @recipients')
    .run({ lastId, defaultTlp: group.defaultTlp, tlp: group.tlp, recipients: group.recipients });
}
