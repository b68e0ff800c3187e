import { desc, eq, gt, sql } from 'drizzle-orm';
import type { FeedHead } from '../core/feed-head.js';
import type { Store } from './open-store.js';
import { batches as storedBatches, feeds, listings } from './schema.js';

export interface FeedSummary {
  readonly publisher: string;
  readonly size: number;
  readonly head: string | null;
}

export function feedHead(store: Store, publisher: string): FeedHead {
  // Prepared (audit-bench, pull-bench): read for every page of batches served and every pull.
  const row = store.prepare('SELECT size, head FROM feeds WHERE publisher = ?').get(publisher) as FeedHead | undefined;
  return row ?? { size: 0, head: null };
}

export function listFeeds(store: Store): FeedSummary[] {
  return store.orm.select({ publisher: feeds.publisher, size: feeds.size, head: feeds.head }).from(feeds).orderBy(feeds.publisher).all();
}

/** Publishers of which this node holds at least one batch, in order (the blocklist's sources). */
export function publishersWithBatches(store: Store): string[] {
  return store.orm
    .select({ publisher: feeds.publisher })
    .from(feeds)
    .where(gt(feeds.size, 0))
    .orderBy(feeds.publisher)
    .all()
    .map((f) => f.publisher);
}

/** Size in bytes of the publisher's last stored batch (0 without one). */
export function lastBatchBytes(store: Store, publisher: string): number {
  const last = store.orm.select({ bytes: storedBatches.jwsBytes }).from(storedBatches).where(eq(storedBatches.publisher, publisher)).orderBy(desc(storedBatches.seq)).limit(1).get();
  return last?.bytes ?? 0;
}

/** The leaf hash of a stored batch, without reading its JWS; null when it is not stored. */
export function leafHashOf(store: Store, publisher: string, seq: number): string | null {
  // Prepared (proof-bench, lookup-bench): every inclusion proof, and lookup answers naming batches.
  return (store.prepare('SELECT leaf_hash FROM batches WHERE publisher = ? AND seq = ?').pluck().get(publisher, seq) as string | undefined) ?? null;
}

/** About how many listings the store holds, from the newest rowid: no count over the table. */
export function listingRows(store: Store): number {
  // rowid is SQLite's own column, not one of the schema's.
  return store.orm.select({ rows: sql<number | null>`max(rowid)` }).from(listings).get()?.rows ?? 0;
}
