import { prunedThrough } from './effective-query.js';
import type { Store } from './open-store.js';

/*
 * What an in-memory copy of the effective list (the DNSBL index) needs from the store: one
 * consistent snapshot to start from, then the change log with each touched piece's current
 * sources. Both are read in bulk, never per DNS query.
 */

/**
 * Hands every listed piece to `each` and returns the change log id the pieces reflect, all in
 * one read transaction. Rows are streamed, so a list of millions is never held twice.
 */
export function readEffectiveSnapshot(store: Store, each: (key: string, sources: string) => void): number {
  return store.db.transaction(() => {
    for (const [key, sources] of store.prepare('SELECT key, sources FROM effective').raw().iterate() as IterableIterator<[string, string]>) {
      each(key, sources);
    }
    const last = (store.prepare('SELECT max(id) FROM changes').pluck().get() as number | null) ?? 0;
    // Pruning can empty the log; the snapshot still reflects every change up to the last pruned.
    return Math.max(last, prunedThrough(store));
  })();
}

export interface ChangeWithSources {
  readonly id: number;
  readonly op: 'added' | 'removed' | 'updated';
  readonly key: string;
  /** The piece's sources now; null when it is no longer listed (a later change removed it). */
  readonly sources: string | null;
}

/**
 * The next changes after `afterId`, each joined with the piece's current row: applying them in
 * order leaves a copy that equals `effective` as of the last one, even when a piece was added and
 * removed again between two reads.
 */
export function changesWithSources(store: Store, afterId: number, limit: number): ChangeWithSources[] {
  return store
    .prepare(
      `SELECT c.id, c.op, c.key, e.sources FROM changes c LEFT JOIN effective e ON e.key = c.key
       WHERE c.id > ? ORDER BY c.id LIMIT ?`,
    )
    .all(afterId, limit) as ChangeWithSources[];
}
