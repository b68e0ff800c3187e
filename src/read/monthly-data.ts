import { dailySizes, pivotMonths, sizeSeries } from '../core/monthly-series.js';
import type { OriginTable } from '../core/origin-table.js';
import { parseReportMonth, shiftMonth } from '../core/report-month.js';
import { formatTimestamp } from '../core/time.js';
import { listingMonths, listSizeHours, refusalMonths } from '../store/console-counters.js';
import type { Store } from '../store/open-store.js';
import type { StatsAnswer, StatsQuery } from './origin-stats.js';

/** How many countries and networks a report names; the rest are summed in the totals. */
export const TOP = 20;
/** How many months of context the trend shows, ending with the report's month. */
export const TREND_MONTHS = 12;
const DEFAULT_DATA = '@ip-location-db/';
/** The notice CC BY 4.0 asks of whoever shows results of the default (DB-IP derived) data. */
export const DBIP_ATTRIBUTION = 'IP origin data by DB-IP, CC BY 4.0 (IP Geolocation by DB-IP, db-ip.com)';

/** A count of listings by origin: one country or AS. */
export interface OriginRow {
  readonly pieces: number;
  readonly addresses: number;
}

/** Everything a monthly report shows (`spamx monthly --json` prints it; times are RFC 3339). */
export interface MonthlyData {
  readonly centre: { readonly id: string; readonly name: string; readonly country: string | null; readonly publicUrl: string };
  /** `YYYY-MM`, UTC. */
  readonly month: string;
  /** The period covered: the whole month, or up to `generatedAt` for the month in progress. */
  readonly period: { readonly from: string; readonly to: string; readonly complete: boolean };
  readonly generatedAt: string;
  readonly origins: {
    readonly id: string;
    readonly sets: readonly { readonly name: string; readonly date: string; readonly sha256: string }[];
    /** The attribution the data's licence asks for, or null when no default data set is in use. */
    readonly attribution: string | null;
  };
  /** Started and ended count each source centre's listings (a piece two centres list counts twice). */
  readonly totals: { readonly started: number; readonly ended: number; readonly refused: number; readonly listedAtStart: number; readonly listedAtEnd: number };
  readonly sources: readonly { readonly source: string; readonly started: number; readonly ended: number }[];
  /** The merged list's size: where the month started, each hour it changed in, and where it ended. */
  readonly listSize: readonly { readonly at: string; readonly listed: number }[];
  /** The size at the end of each UTC day. */
  readonly listSizeDaily: readonly { readonly at: string; readonly listed: number }[];
  /**
   * Where the month's listings come from: the pieces of the served list, as of `asOf`, first seen
   * within the month (listings of the month that ended since are not counted). A piece spanning
   * several countries (ASes) counts once in each, for its part.
   */
  readonly origin: {
    readonly asOf: string;
    /** Distinct pieces counted. */
    readonly pieces: number;
    readonly countries: readonly (OriginRow & { readonly country: string })[];
    /** The centre's own country (config `country`): its pieces and their share of `pieces`. */
    readonly ownCountry: { readonly country: string; readonly pieces: number; readonly share: number } | null;
    readonly networks: readonly (OriginRow & { readonly asn: number | null; readonly name: string | null })[];
  };
  readonly refusals: readonly { readonly code: string; readonly count: number; readonly publishers: readonly { readonly publisher: string; readonly count: number }[] }[];
  /** The months before, for context: listings started per source, and refusals, per month. */
  readonly trend: {
    readonly months: readonly string[];
    readonly sources: readonly { readonly source: string; readonly started: readonly number[] }[];
    readonly refused: readonly number[];
  };
}

export interface MonthlyInputs {
  readonly store: Store;
  readonly centre: { readonly id: string; readonly name: string; readonly country?: string | undefined };
  readonly publicUrl: string;
  /** The origin tables in use (their data sets and AS names). */
  readonly origins: OriginTable;
  /** `computeStats` in a one-shot command, or a serving node's `OriginStats.stats` (export threads). */
  readonly stats: (table: OriginTable, q: StatsQuery, now: number) => StatsAnswer | Promise<StatsAnswer>;
  /** `YYYY-MM`; checked here (BAD_REQUEST when malformed or not started yet). */
  readonly month: string;
  readonly now: number;
}

/**
 * The figures of one month, from the console counters (store/console-counters.ts) and the origin
 * statistics (read/origin-stats.ts); no batch is read again. The caller projects first, as
 * every reader of the served list does, so the counters include what was applied.
 */
export async function monthlyData(i: MonthlyInputs): Promise<MonthlyData> {
  const month = parseReportMonth(i.month, i.now);
  const end = Math.min(month.to, i.now);
  const first = shiftMonth(month, -(TREND_MONTHS - 1));
  const months = Array.from({ length: TREND_MONTHS }, (_, k) => shiftMonth(first, k).name);

  const listings = listingMonths(i.store, first.name, month.name);
  const bySource = pivotMonths(months, listings, (r) => r.started);
  const sources = listings
    .filter((r) => r.month === month.name)
    .map(({ source, started, ended }) => ({ source, started, ended }))
    .sort((a, b) => b.started - a.started || a.source.localeCompare(b.source));

  const refusalRows = refusalMonths(i.store, first.name, month.name);
  const refusedPerMonth = months.map((m) => refusalRows.filter((r) => r.month === m).reduce((n, r) => n + r.count, 0));
  const refusals = new Map<string, { code: string; count: number; publishers: { publisher: string; count: number }[] }>();
  for (const r of refusalRows.filter((row) => row.month === month.name)) {
    let entry = refusals.get(r.code);
    if (!entry) refusals.set(r.code, (entry = { code: r.code, count: 0, publishers: [] }));
    entry.count += r.count;
    entry.publishers.push({ publisher: r.publisher, count: r.count });
  }

  const earlier = listSizeHours(i.store, 0, month.from - 1).at(-1)?.listed ?? 0;
  const series = sizeSeries(month, end, earlier, listSizeHours(i.store, month.from, end - 1));

  const origin = await originFigures(i, month.from, month.to);
  const rfc = (p: { at: number; listed: number }) => ({ at: formatTimestamp(p.at), listed: p.listed });
  const sets = i.origins.datasets.map(({ name, date, sha256 }) => ({ name, date, sha256 }));
  return {
    centre: { id: i.centre.id, name: i.centre.name, country: i.centre.country ?? null, publicUrl: i.publicUrl },
    month: month.name,
    period: { from: formatTimestamp(month.from), to: formatTimestamp(end), complete: end === month.to },
    generatedAt: formatTimestamp(i.now),
    origins: { id: i.origins.digest, sets, attribution: sets.some((s) => s.name.startsWith(DEFAULT_DATA)) ? DBIP_ATTRIBUTION : null },
    totals: {
      started: sources.reduce((n, s) => n + s.started, 0),
      ended: sources.reduce((n, s) => n + s.ended, 0),
      refused: refusedPerMonth.at(-1)!,
      listedAtStart: series[0]!.listed,
      listedAtEnd: series.at(-1)!.listed,
    },
    sources,
    listSize: series.map(rfc),
    listSizeDaily: dailySizes(series, end).map(rfc),
    origin,
    refusals: [...refusals.values()].sort((a, b) => b.count - a.count || a.code.localeCompare(b.code)),
    trend: { months, sources: bySource.map(({ source, values }) => ({ source, started: values })), refused: refusedPerMonth },
  };
}

/** The origin statistics of the pieces first seen in [from, to): by country, by AS, and how many. */
async function originFigures(i: MonthlyInputs, from: number, to: number): Promise<MonthlyData['origin']> {
  // A piece first seen at `from` or later was last seen then or later too: `since` lets the
  // count skip older pieces in SQL.
  const window = { firstSeenIn: { from, to }, since: from };
  const [countries, asns, total] = await Promise.all(
    (['country', 'asn', 'month'] as const).map((by) => i.stats(i.origins, { by, ...window }, i.now)),
  );
  const pieces = total!.rows.reduce((n, r) => n + r.pieces, 0);
  const own = i.centre.country?.toUpperCase();
  const ownPieces = own ? (countries!.rows.find((r) => r.key === own)?.pieces ?? 0) : 0;
  return {
    asOf: countries!.asOf,
    pieces,
    countries: countries!.rows.slice(0, TOP).map((r) => ({ country: r.key, pieces: r.pieces, addresses: r.addresses })),
    ownCountry: own ? { country: own, pieces: ownPieces, share: pieces === 0 ? 0 : ownPieces / pieces } : null,
    networks: asns!.rows.slice(0, TOP).map((r) => {
      const asn = r.key === 'unknown' ? null : Number(r.key);
      return { asn, name: i.origins.asNameOf(asn), pieces: r.pieces, addresses: r.addresses };
    }),
  };
}
