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
