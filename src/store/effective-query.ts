import { lt, lte, max } from 'drizzle-orm';
import { setMeta } from './meta-store.js';
import { writeTransaction, type Store } from './open-store.js';
import { changes } from './schema.js';

/*
 * Reads of the effective list (what subscribers are served) and of its change log. The list's
 * queries are kept together in these store files: this one (rows, one piece, the change log),
 * effective-pages.ts (the blocklist export, a page of text at a time), decision-stream-store.ts
 * (the CrowdSec decision stream), read-logs.ts (what the read models follow), piece-sources.ts
 * (the listings behind a piece: the jurisdiction list), mail-report-store.ts (a day's changes, for
 * the daily reports). Only the projector (projector.ts) writes the list. Prepared statements:
 * each of these reads serves subscribers.
 */

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
  /** The most restrictive label of its active sources (core/tlp.ts rank). */
  readonly tlp: number;
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
  source_count AS sourceCount, listed_at AS listedAt, tlp`;

/** The effective list in address order (the key orders it), filtered, streamed from SQLite. */
export function* effectiveRows(store: Store, filter: EffectiveFilter = {}): Generator<EffectiveRow> {
  // Prepared and iterated, a row at a time: the change and decision streams' snapshots of a list
  // of millions (no benchmark of their own); drizzle's builder would read every row first.
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

export function effectiveRowByKey(store: Store, key: string): EffectiveRow | undefined {
  // Prepared: the decision stream reads one per listed piece of each poll.
  return store.prepare(`SELECT ${COLUMNS} FROM effective WHERE key = ?`).get(key) as EffectiveRow | undefined;
}

export interface ChangeRow {
  readonly id: number;
  readonly op: 'added' | 'removed' | 'updated';
  readonly key: string;
  readonly prefix: string;
  readonly at: number;
  /** The piece's label at the change (core/tlp.ts rank); null in rows from before labels (green). */
  readonly tlp: number | null;
}

/** Up to `limit` changes after `afterId`; `expired` says why a cursor there cannot be served. */
export interface ChangesPage {
  readonly expired?: 'pruned' | 'ahead';
  readonly changes: ChangeRow[];
  /** Some change up to `afterId` had a label beyond green (core/tlp-changes.ts `labelsInUse`). */
  readonly labelsInUse?: boolean;
}

/**
 * The change stream's page after `afterId`, its cursor checked and its changes read in one read
 * transaction: a CLI command pruning the log in between would otherwise open a gap the client
 * never hears of.
 */
export function changesPage(store: Store, afterId: number, limit: number): ChangesPage {
  return store.db.transaction((): ChangesPage => {
    if (afterId < prunedThrough(store)) return { expired: 'pruned', changes: [] };
    if (afterId > lastChangeId(store)) return { expired: 'ahead', changes: [] };
    // Prepared: every subscriber's poll of the change stream.
    const changes = store.prepare('SELECT id, op, key, prefix, at, tlp FROM changes WHERE id > ? ORDER BY id LIMIT ?').all(afterId, limit) as ChangeRow[];
    return { changes, labelsInUse: restrictedLogged(store, afterId) };
  })();
}

/**
 * True once any piece has been served under a label beyond green (core/tlp.ts): the projector
 * marks the store when it logs such a change (store/projector.ts noteLabels), never unmarks it.
 */
export function labelsBeyondGreen(store: Store): boolean {
  // Prepared (getMeta of one name): once per export and per change-stream poll.
  return (store.prepare(`SELECT value FROM meta WHERE name = 'labels_beyond_green'`).pluck().get() as string | undefined) === '1';
}

/** Per connection: how far the log was searched for a label beyond green, and whether one was found. */
const restrictedSeen = new WeakMap<object, { through: number; found: boolean }>();

/**
 * True when some change with an id up to `upTo` logged a label beyond green (core/tlp.ts). Each
 * connection searches each part of the log once, so a store that never used labels pays one pass
 * over the rows logged since the last poll; once found, always true (the log only grows).
 */
export function restrictedLogged(store: Store, upTo: number): boolean {
  if (!labelsBeyondGreen(store)) return false;
  const seen = restrictedSeen.get(store.db) ?? { through: 0, found: false };
  if (seen.found || upTo <= seen.through) return seen.found;
  // Prepared: every change-stream poll, over the rows logged since the last one.
  const found = store.prepare('SELECT 1 FROM changes WHERE id > ? AND id <= ? AND tlp > 1 LIMIT 1').get(seen.through, upTo) !== undefined;
  restrictedSeen.set(store.db, { through: upTo, found });
  return found;
}

/**
 * The id of the latest change. Once pruning has emptied the log, that is the last id pruned:
 * `max(id)` alone would fall back to 0 and send every cursor to 410 as "ahead of this store".
 */
export function lastChangeId(store: Store): number {
  // Prepared: every change-stream and decision-stream poll (neither has a benchmark of its own).
  return Math.max((store.prepare('SELECT max(id) FROM changes').pluck().get() as number | null) ?? 0, prunedThrough(store));
}

/** Changes up to this id have been pruned: a cursor before it cannot be served. */
export function prunedThrough(store: Store): number {
  // Prepared (getMeta of one name): as lastChangeId, and every catch-up of the read models (read-logs.ts).
  return Number((store.prepare(`SELECT value FROM meta WHERE name = 'changes_pruned_through'`).pluck().get() as string | undefined) ?? 0);
}

/**
 * Drops changes older than `before`, remembering the last id dropped, in one transaction: rows
 * gone without the mark moved would let an old cursor skip them silently instead of getting 410.
 */
export function pruneChanges(store: Store, before: number): number {
  return writeTransaction(store, () => {
    const last = store.orm.select({ id: max(changes.id) }).from(changes).where(lt(changes.at, before)).get()?.id ?? null;
    if (last === null) return 0;
    const dropped = store.orm.delete(changes).where(lte(changes.id, last)).run().changes;
    setMeta(store, 'changes_pruned_through', String(last));
    return dropped;
  });
}
