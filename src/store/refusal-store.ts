import type { IndexedRefusal } from '../core/evaluate-entries.js';
import type { Store } from './open-store.js';

export interface RefusalRecord {
  readonly id: number;
  readonly publisher: string;
  readonly seq: number | null;
  readonly entryIndex: number | null;
  readonly prefix: string | null;
  readonly code: string;
  readonly reason: string;
  readonly at: number;
}

export function recordRefusals(
  store: Store,
  publisher: string,
  seq: number | null,
  refused: readonly (Omit<IndexedRefusal, 'index'> & { index: number | null })[],
  now: number,
): void {
  if (refused.length === 0) return;
  const insert = store.prepare(
    'INSERT INTO refusals (publisher, seq, entry_index, prefix, code, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  for (const r of refused) insert.run(publisher, seq, r.index, r.prefixText, r.code, r.reason, now);
}

export interface RefusalFilter {
  readonly publisher?: string | undefined;
  readonly code?: string | undefined;
  /** Only refusals with an id below this (for paging newest-first). */
  readonly before?: number | undefined;
  readonly limit: number;
}

/** Refusals newest first, optionally for one publisher and/or one code. */
export function listRefusals(store: Store, filter: RefusalFilter): RefusalRecord[] {
  return store
    .prepare(
      `SELECT id, publisher, seq, entry_index AS entryIndex, prefix, code, reason, at FROM refusals
       WHERE (@publisher IS NULL OR publisher = @publisher) AND (@code IS NULL OR code = @code)
         AND (@before IS NULL OR id < @before)
       ORDER BY id DESC LIMIT @limit`,
    )
    .all({ publisher: filter.publisher ?? null, code: filter.code ?? null, before: filter.before ?? null, limit: filter.limit }) as RefusalRecord[];
}

/** Refusal counts by publisher and code. */
export function refusalCounts(store: Store): { publisher: string; code: string; count: number }[] {
  return store
    .prepare('SELECT publisher, code, count(*) AS count FROM refusals GROUP BY publisher, code ORDER BY publisher, code')
    .all() as { publisher: string; code: string; count: number }[];
}
