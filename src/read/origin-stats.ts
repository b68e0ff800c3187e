import { cutRange, keyRange, originCut } from '../core/origin-cut.js';
import type { OriginScope } from '../core/origin.js';
import type { OriginTable } from '../core/origin-table.js';
import { formatTimestamp } from '../core/time.js';
import { effectivePages, parseKeyedPage } from '../store/effective-pages.js';
import { effectiveVersion, getMeta } from '../store/meta-store.js';
import type { Store } from '../store/open-store.js';
import { openSnapshotReader } from '../store/snapshot-reader.js';
import { datasetOf } from './origin-dataset.js';

export const STATS_BY = ['country', 'asn', 'source', 'month'] as const;
export type StatsBy = (typeof STATS_BY)[number];

export interface StatsQuery {
  readonly by: StatsBy;
  /** Only pieces one of these centres lists. */
  readonly sources?: readonly string[] | undefined;
  /** Only the parts of pieces inside these countries. */
  readonly countries?: readonly string[] | undefined;
  /** Only pieces seen (lastSeen) at or after this time. */
  readonly since?: number | undefined;
  /**
   * Only pieces first seen (their earliest source's first sighting, as `by: 'month'` counts) at
   * or after `from` and before `to`: the listings a monthly report says started in its month.
   */
  readonly firstSeenIn?: { readonly from: number; readonly to: number } | undefined;
}

export interface StatsRow {
  readonly key: string;
  /** Listed pieces; a piece spanning several countries (ASes) counts once in each, for its part. */
  pieces: number;
  /** Addresses those pieces cover (an IPv6 /64 is 2^64 of them). */
  addresses: number;
  /** Reports, each piece's merged count (the sum over its sources). */
  reports: number;
}

export type StatsAnswer = ReturnType<typeof computeStats>;

/**
 * `GET /v1/stats` (PROTOCOL "Additions: origins"): the served list counted by origin country,
 * AS, source centre or the month listings started in (their earliest source's first sighting),
 * the figures centres put in their reports. Counted over one snapshot of the served list, which
 * projection keeps current from every applied batch; the batches are never read again. A piece
 * is cut at registry boundaries, so a /16 straddling two countries counts in each for its part.
 * Answers are remembered per (list version, origin data, query): a dashboard polling the same
 * figures costs one count per change of the list. `compute` runs the count, off the thread that
 * answers DNS in a serving node (serve/blocklist-threads.ts).
 */
export class OriginStats {
  private readonly cache = new Map<string, { version: string; answer: Promise<StatsAnswer> }>();

  constructor(
    private readonly store: Store,
    private readonly compute: (table: OriginTable, q: StatsQuery, now: number) => Promise<StatsAnswer>,
  ) {}

  stats(table: OriginTable, q: StatsQuery, now: number): Promise<StatsAnswer> {
    const id = JSON.stringify([q.by, q.sources, q.countries, q.since, q.firstSeenIn]);
    const version = `${effectiveVersion(this.store)}:${table.digest}`;
    const hit = this.cache.get(id);
    if (hit?.version === version) return hit.answer;
    const answer = this.compute(table, q, now);
    if (this.cache.size >= 64) this.cache.clear();
    this.cache.set(id, { version, answer });
    // A failed count is not remembered: the next request tries again.
    answer.catch(() => this.cache.get(id)?.answer === answer && this.cache.delete(id));
    return answer;
  }
}

/** The count itself, over one snapshot of `store` (a read-only connection will do). */
export function computeStats(store: Store, table: OriginTable, q: StatsQuery, now: number) {
  const scopes: OriginScope[] = q.countries?.length ? [{ countries: q.countries, asns: [], within: [] }] : [];
  const cut = originCut(table, scopes, true);
  const rows = new Map<string, StatsRow>();
  const add = (key: string, addresses: number, reports: number) => {
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { key, pieces: 0, addresses: 0, reports: 0 }));
    row.pieces++;
    row.addresses += addresses;
    row.reports += reports;
  };
  const { store: reader, close } = openSnapshotReader(store);
  try {
    // A piece counts once per key it touches, with the addresses it has there: its parts (cut
    // at every country and AS boundary) are summed per key first.
    const perKey = new Map<string, number>();
    for (const page of effectivePages(reader, { sources: q.sources, since: q.since }, 'keyedRows')) {
      for (const piece of parseKeyedPage(page, false)) {
        if (q.firstSeenIn && (piece.firstSeen < q.firstSeenIn.from || piece.firstSeen >= q.firstSeenIn.to)) continue;
        const { family, start, end } = keyRange(piece.key);
        perKey.clear();
        for (const part of cutRange(cut, family, start, end, piece.prefix)) {
          const size = Number(part.end) - Number(part.start) + 1;
          const keys =
            q.by === 'country'
              ? [part.country ?? 'unknown']
              : q.by === 'asn'
                ? [part.asn === null ? 'unknown' : String(part.asn)]
                : q.by === 'month'
                  ? [formatTimestamp(piece.firstSeen).slice(0, 7)]
                  : piece.sources.split(' ').filter((source) => !q.sources?.length || q.sources.includes(source));
          for (const key of keys) perKey.set(key, (perKey.get(key) ?? 0) + size);
        }
        for (const [key, addresses] of perKey) add(key, addresses, piece.reports);
      }
    }
    const sorted = [...rows.values()].sort((a, b) => (q.by === 'month' ? a.key.localeCompare(b.key) : b.pieces - a.pieces || a.key.localeCompare(b.key)));
    return { by: q.by, asOf: formatTimestamp(Number(getMeta(reader, 'effective_updated_at') ?? now)), dataset: datasetOf(table), rows: sorted };
  } finally {
    close();
  }
}
