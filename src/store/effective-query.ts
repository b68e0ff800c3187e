import { writeTransaction, type Store } from './open-store.js';

/** A listed prefix and its values merged over its active sources. */
export interface ListedPiece {
  readonly prefix: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly reports: number;
  readonly expires: number;
  /** Publishers, space-separated (sorted in the effective list). */
  readonly sources: string;
}

/** One piece of the effective list, as served to subscribers. */
export interface EffectiveRow extends ListedPiece {
  readonly id: number;
  readonly key: string;
  readonly sourceCount: number;
  readonly listedAt: number;
}

export interface EffectiveFilter {
  readonly family?: 4 | 6 | undefined;
  readonly minSources?: number | undefined;
  /** Only pieces some of these publishers list. */
  readonly sources?: readonly string[] | undefined;
  /** Only pieces seen (lastSeen) at or after this time. */
  readonly since?: number | undefined;
}

const COLUMNS = `id, key, prefix, first_seen AS firstSeen, last_seen AS lastSeen, reports, expires, sources,
  source_count AS sourceCount, listed_at AS listedAt`;

/** The effective list in address order (the key orders it), filtered, streamed from SQLite. */
export function* effectiveRows(store: Store, filter: EffectiveFilter = {}): Generator<EffectiveRow> {
  const rows = store
    .prepare(
      `SELECT ${COLUMNS} FROM effective
       WHERE (@family IS NULL OR substr(key, 1, 1) = @family) AND source_count >= @minSources
         AND (@since IS NULL OR last_seen >= @since)
       ORDER BY key`,
    )
    .iterate({
      family: filter.family === undefined ? null : String(filter.family),
      minSources: filter.minSources ?? 1,
      since: filter.since ?? null,
    }) as IterableIterator<EffectiveRow>;
  const wanted = filter.sources && filter.sources.length > 0 ? new Set(filter.sources) : undefined;
  for (const row of rows) {
    if (wanted && !row.sources.split(' ').some((s) => wanted.has(s))) continue;
    yield row;
  }
}

export function effectiveCount(store: Store): number {
  return store.prepare('SELECT count(*) FROM effective').pluck().get() as number;
}

export function effectiveRowByKey(store: Store, key: string): EffectiveRow | undefined {
  return store.prepare(`SELECT ${COLUMNS} FROM effective WHERE key = ?`).get(key) as EffectiveRow | undefined;
}

/** Distinct publishers with at least one listed piece. */
export function effectiveSources(store: Store): string[] {
  const all = store.prepare('SELECT DISTINCT sources FROM effective').pluck().all() as string[];
  return [...new Set(all.flatMap((s) => s.split(' ')))].sort();
}

export interface ChangeRow {
  readonly id: number;
  readonly op: 'added' | 'removed' | 'updated';
  readonly key: string;
  readonly prefix: string;
  readonly at: number;
}

export function changesAfter(store: Store, afterId: number, limit: number): ChangeRow[] {
  return store.prepare('SELECT id, op, key, prefix, at FROM changes WHERE id > ? ORDER BY id LIMIT ?').all(afterId, limit) as ChangeRow[];
}

/**
 * The id of the latest change. Once pruning has emptied the log, that is the last id pruned:
 * `max(id)` alone would fall back to 0 and send every cursor to 410 as "ahead of this store".
 */
export function lastChangeId(store: Store): number {
  return Math.max((store.prepare('SELECT max(id) FROM changes').pluck().get() as number | null) ?? 0, prunedThrough(store));
}

/** Changes up to this id have been pruned: a cursor before it cannot be served. */
export function prunedThrough(store: Store): number {
  return Number((store.prepare(`SELECT value FROM meta WHERE name = 'changes_pruned_through'`).pluck().get() as string | undefined) ?? 0);
}

/**
 * Drops changes older than `before`, remembering the last id dropped, in one transaction: rows
 * gone without the mark moved would let an old cursor skip them silently instead of getting 410.
 */
export function pruneChanges(store: Store, before: number): number {
  return writeTransaction(store, () => {
    const last = store.prepare('SELECT max(id) FROM changes WHERE at < ?').pluck().get(before) as number | null;
    if (last === null) return 0;
    const dropped = store.prepare('DELETE FROM changes WHERE id <= ?').run(last).changes;
    store
      .prepare(`INSERT INTO meta (name, value) VALUES ('changes_pruned_through', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`)
      .run(String(last));
    return dropped;
  });
}
