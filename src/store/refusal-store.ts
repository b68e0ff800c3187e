import { and, count, desc, eq, lt } from 'drizzle-orm';
import { clipReason, clipText, CLIPPED_CHARS } from '../core/clip-text.js';
import type { IndexedRefusal } from '../core/evaluate-entries.js';
import type { Store } from './open-store.js';
import { refusals } from './schema.js';

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
  // Prepared (pull-bench): a row per refused entry, inside the transaction that stores a pulled batch.
  const insert = store.prepare(
    'INSERT INTO refusals (publisher, seq, entry_index, prefix, code, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  for (const r of refused) {
    // What a peer or a reporter sent is stored clipped (clip-text.ts): a 10 MB prefix text in
    // a report or a batch entry would otherwise become a row twice its size.
    const text = r.prefixText;
    const long = (text !== null && text.length > CLIPPED_CHARS) || r.reason.length > 4 * CLIPPED_CHARS;
    const prefix = long && text !== null ? clipText(text) : text;
    insert.run(publisher, seq, r.index, prefix, r.code, long ? clipReason(r.reason, text) : r.reason, now);
  }
}

export interface RefusalFilter {
  readonly publisher?: string | undefined;
  readonly code?: string | undefined;
  /** Only refusals with an id below this (for paging newest-first). */
  readonly before?: number | undefined;
  readonly limit: number;
}

/** Refusals newest first, optionally for one publisher and/or one code (cold: operators' reads). */
export function listRefusals(store: Store, filter: RefusalFilter): RefusalRecord[] {
  return store.orm
    .select({
      id: refusals.id,
      publisher: refusals.publisher,
      seq: refusals.seq,
      entryIndex: refusals.entryIndex,
      prefix: refusals.prefix,
      code: refusals.code,
      reason: refusals.reason,
      at: refusals.at,
    })
    .from(refusals)
    .where(
      and(
        filter.publisher === undefined ? undefined : eq(refusals.publisher, filter.publisher),
        filter.code === undefined ? undefined : eq(refusals.code, filter.code),
        filter.before === undefined ? undefined : lt(refusals.id, filter.before),
      ),
    )
    .orderBy(desc(refusals.id))
    .limit(filter.limit)
    .all();
}

/** Refusal counts by publisher and code (cold: status). */
export function refusalCounts(store: Store): { publisher: string; code: string; count: number }[] {
  return store.orm
    .select({ publisher: refusals.publisher, code: refusals.code, count: count() })
    .from(refusals)
    .groupBy(refusals.publisher, refusals.code)
    .orderBy(refusals.publisher, refusals.code)
    .all();
}
