import { and, countDistinct, eq, gt, lte, sql } from 'drizzle-orm';
import type { ListedPiece } from './effective-query.js';
import type { Store } from './open-store.js';
import { listings } from './schema.js';

/** One listed prefix of the merged store, computed from `listings` (sources in no particular order). */
export interface MergedRow extends ListedPiece {
  readonly key: string;
  readonly sourceCount: number;
}

export interface MergedFilter {
  readonly family?: 4 | 6 | undefined;
  readonly minSources?: number | undefined;
}

/**
 * Listed prefixes at `now` in address order (PROTOCOL "Merged store semantics": active sources
 * only; firstSeen the earliest, lastSeen the latest, reports the sum, expires the latest).
 * Streams from SQLite: the primary key (key, publisher) already groups rows by prefix in order.
 */
export function* mergedRows(store: Store, now: number, filter: MergedFilter = {}): Generator<MergedRow> {
  const family = filter.family === undefined ? null : String(filter.family);
  // Prepared and iterated, a prefix at a time (no benchmark: only the merge-semantics test reads it).
  const rows = store
    .prepare(
      `SELECT key, prefix, min(first_seen) AS firstSeen, max(last_seen) AS lastSeen, sum(reports) AS reports,
         max(expires) AS expires, group_concat(publisher, ' ') AS sources, count(*) AS sourceCount
       FROM listings
       WHERE op = 'list' AND expires > @now AND (@family IS NULL OR substr(key, 1, 1) = @family)
       GROUP BY key HAVING count(*) >= @minSources ORDER BY key`,
    )
    .iterate({ now, family, minSources: filter.minSources ?? 1 }) as IterableIterator<MergedRow>;
  yield* rows;
}

export interface StoreCounts {
  /** Prefixes with at least one active source. */
  readonly listedPrefixes: number;
  /** Active (prefix, publisher) listings. */
  readonly activeListings: number;
  readonly expiredListings: number;
  readonly delistedListings: number;
}

/** What `spamx status` counts (cold: one scan of `listings` per status request). */
export function storeCounts(store: Store, now: number): StoreCounts {
  const active = and(eq(listings.op, 'list'), gt(listings.expires, now));
  const expired = and(eq(listings.op, 'list'), lte(listings.expires, now));
  return store.orm
    .select({
      listedPrefixes: countDistinct(sql`CASE WHEN ${active} THEN ${listings.key} END`),
      activeListings: sql<number>`coalesce(sum(${active}), 0)`,
      expiredListings: sql<number>`coalesce(sum(${expired}), 0)`,
      delistedListings: sql<number>`coalesce(sum(${eq(listings.op, 'delist')}), 0)`,
    })
    .from(listings)
    .get()!;
}
