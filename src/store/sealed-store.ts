import type { RefusalCode } from '../core/errors.js';
import type { SealedRecord } from '../core/sealed-payload.js';
import type { Store } from './open-store.js';
import { recordRefusals } from './refusal-store.js';

/*
 * Sealed batches (PROTOCOL "Additions: partners only"). A stored batch is sealed exactly when
 * batches.recipients is not null: its recipients' ids, sorted, space-separated, written by every
 * node that stores it (publisher, recipients, anyone else). sealed_inner holds the inner JWS
 * where this node published the batch or opened it.
 */

/**
 * Called in the transaction that stores the batch (store/apply-batch.ts), after its row. Prepared
 * statements (pull-bench): they run per sealed batch stored.
 */
export function recordSealed(store: Store, publisher: string, seq: number, sealed: SealedRecord, now: number): void {
  store.prepare('UPDATE batches SET recipients = ? WHERE publisher = ? AND seq = ?').run(sealed.recipients, publisher, seq);
  if (sealed.inner !== undefined) {
    store.prepare('INSERT INTO sealed_inner (publisher, seq, jws) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(publisher, seq, sealed.inner);
  }
  if (sealed.refusal) {
    // Against the publisher and the batch, with no entry: the batch is in the log, its content refused.
    recordRefusals(store, publisher, seq, [{ index: null, prefixText: null, code: sealed.refusal.code as RefusalCode, reason: sealed.refusal.reason }], now);
    store.prepare('UPDATE batches SET refused_count = refused_count + 1 WHERE publisher = ? AND seq = ?').run(publisher, seq);
  }
}

/** The inner JWS of a sealed batch this node published or opened; undefined otherwise (cold: evidence). */
export function sealedInnerOf(store: Store, publisher: string, seq: number): string | undefined {
  const row = store.prepare('SELECT jws FROM sealed_inner WHERE publisher = ? AND seq = ?').get(publisher, seq) as { jws: string } | undefined;
  return row?.jws;
}

/** A stored batch's recipients (space-separated), or null for an open batch; undefined when not held. */
export function batchRecipients(store: Store, publisher: string, seq: number): string | null | undefined {
  const row = store.prepare('SELECT recipients FROM batches WHERE publisher = ? AND seq = ?').get(publisher, seq) as { recipients: string | null } | undefined;
  return row === undefined ? undefined : row.recipients;
}

export interface SealedBatchRow {
  readonly publisher: string;
  readonly seq: number;
  readonly recipients: string;
  readonly tlp: number;
  readonly entryCount: number;
  /** Whether this node holds the inner JWS (it published or opened the batch). */
  readonly opened: boolean;
}

/** Sealed batches held, newest first (cold: status and operator views). */
export function sealedBatches(store: Store, limit = 100): SealedBatchRow[] {
  return (
    store
      .prepare(
        `SELECT b.publisher, b.seq, b.recipients, b.tlp, b.entry_count AS entryCount, s.seq IS NOT NULL AS opened
         FROM batches b LEFT JOIN sealed_inner s ON s.publisher = b.publisher AND s.seq = b.seq
         WHERE b.recipients IS NOT NULL ORDER BY b.received_at DESC, b.seq DESC LIMIT ?`,
      )
      .all(limit) as (Omit<SealedBatchRow, 'opened'> & { opened: number })[]
  ).map((r) => ({ ...r, opened: r.opened === 1 }));
}
