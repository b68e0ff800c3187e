import type { FeedHead } from '../verify/verify-batch.js';
import type { Store } from './open-store.js';

export interface FeedSummary {
  readonly publisher: string;
  readonly size: number;
  readonly head: string | null;
}

export function feedHead(store: Store, publisher: string): FeedHead {
  const row = store.prepare('SELECT size, head FROM feeds WHERE publisher = ?').get(publisher) as FeedHead | undefined;
  return row ?? { size: 0, head: null };
}

export function listFeeds(store: Store): FeedSummary[] {
  return store.prepare('SELECT publisher, size, head FROM feeds ORDER BY publisher').all() as FeedSummary[];
}

export interface BatchPage {
  readonly batches: { seq: number; jws: string }[];
  /** The seq to pass as `after` for the next page, or null when this page reaches the head. */
  readonly next: number | null;
}

/**
 * Batches after `after`, ascending, capped by count and by total JWS bytes but always holding at
 * least one batch (PROTOCOL "Federation endpoints"), so a page of large batches stays small.
 */
export function batchPage(store: Store, publisher: string, after: number, maxCount: number, maxBytes: number): BatchPage {
  const rows = store
    .prepare('SELECT seq, jws FROM batches WHERE publisher = ? AND seq > ? ORDER BY seq LIMIT ?')
    .iterate(publisher, after, maxCount) as IterableIterator<{ seq: number; jws: string }>;
  const batches: { seq: number; jws: string }[] = [];
  let bytes = 0;
  for (const row of rows) {
    if (batches.length > 0 && bytes + row.jws.length > maxBytes) {
      rows.return?.();
      break;
    }
    batches.push(row);
    bytes += row.jws.length;
  }
  const last = batches.at(-1)?.seq ?? after;
  return { batches, next: last < feedHead(store, publisher).size ? last : null };
}

/** Size in bytes of the publisher's last stored batch (0 without one); octet_length reads no content. */
export function lastBatchBytes(store: Store, publisher: string): number {
  return (store.prepare('SELECT octet_length(jws) FROM batches WHERE publisher = ? ORDER BY seq DESC LIMIT 1').pluck().get(publisher) as number | undefined) ?? 0;
}

export function batchBySeq(store: Store, publisher: string, seq: number): { jws: string; leafHash: string } | undefined {
  return store
    .prepare('SELECT jws, leaf_hash AS leafHash FROM batches WHERE publisher = ? AND seq = ?')
    .get(publisher, seq) as { jws: string; leafHash: string } | undefined;
}
