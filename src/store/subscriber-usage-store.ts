import { writeTransaction, type Store } from './open-store.js';

/*
 * Each subscriber key's use per UTC hour (schema.ts `subscriber_usage`). The serving node counts
 * in memory (serve/subscriber-usage.ts) and flushes here about once a minute: a handful of rows
 * a minute, so a write per flush, not per request. Read by the dashboard's subscribers page.
 */

const HOUR_MS = 3_600_000;
/** Hours older than this are pruned at each flush: the dashboard shows the last day, a week back at most. */
const KEEP_MS = 8 * 24 * HOUR_MS;

export interface SubscriberUsage {
  readonly subscriberId: number;
  readonly requests: number;
  readonly limited: number;
  readonly lastUsedAt: number | null;
}

/** One subscriber's counts since the last flush. */
export interface SubscriberUsageDelta {
  readonly subscriberId: number;
  readonly requests: number;
  readonly limited: number;
  /** When the latest of those requests came, ms. */
  readonly lastUsedAt: number;
}

/** The UTC hour's start (ms) that holds a time. */
export function usageHourOf(ms: number): number {
  return ms - (((ms % HOUR_MS) + HOUR_MS) % HOUR_MS);
}

/**
 * Requests and 429s per subscriber summed over the hours from the one holding `since` on, with
 * each subscriber's latest use ever (across every hour kept). A subscriber with rows only before
 * `since` is answered with zero counts and its last use.
 */
export function subscriberUsageSince(store: Store, since: number): Map<number, SubscriberUsage> {
  const rows = store
    .prepare(
      `SELECT subscriber_id AS subscriberId,
              coalesce(sum(CASE WHEN hour >= ? THEN requests END), 0) AS requests,
              coalesce(sum(CASE WHEN hour >= ? THEN limited END), 0) AS limited,
              max(last_used_at) AS lastUsedAt
         FROM subscriber_usage GROUP BY subscriber_id`,
    )
    .all(usageHourOf(since), usageHourOf(since)) as SubscriberUsage[];
  return new Map(rows.map((row) => [row.subscriberId, row]));
}

/**
 * Adds counted use to each subscriber's row of the hour `at` falls in, and prunes hours older
 * than 8 days before `at`, in one write transaction. A delta whose subscriber was deleted
 * meanwhile is still written (the row is harmless and pruned in time).
 */
export function flushSubscriberUsage(store: Store, deltas: readonly SubscriberUsageDelta[], at: number): void {
  writeTransaction(store, () => {
    const add = store.prepare(
      `INSERT INTO subscriber_usage (subscriber_id, hour, requests, limited, last_used_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (subscriber_id, hour) DO UPDATE SET requests = requests + excluded.requests,
         limited = limited + excluded.limited, last_used_at = max(last_used_at, excluded.last_used_at)`,
    );
    const hour = usageHourOf(at);
    for (const d of deltas) add.run(d.subscriberId, hour, d.requests, d.limited, d.lastUsedAt);
    store.prepare('DELETE FROM subscriber_usage WHERE hour < ?').run(hour - KEEP_MS);
  });
}
