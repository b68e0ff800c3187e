import type { EffectiveFilter } from './effective-query.js';
import type { Store } from './open-store.js';

/** What the blocklist export reads of each piece: its prefix and merged values. */
export interface ListedPiece {
  readonly prefix: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly reports: number;
  readonly expires: number;
  /** Sorted, space-separated. */
  readonly sources: string;
}

/** Rows per page: a few hundred kilobytes of text, so ten million rows stream in constant memory. */
const PAGE_ROWS = 8192;

/**
 * What a page concatenates. better-sqlite3 spends about 0.4 µs handing each value to JavaScript,
 * more than SQLite takes to find the row, so the export has SQLite join a page of rows into one
 * string: `keys` (fixed-width, no separator; the family digit gives the width) comes from the key
 * index alone when no filter needs the table, `prefixes` are newline-separated, `rows` are `prefix firstSeen lastSeen reports
 * expires sources` lines.
 */
const PAGE_TEXT = {
  keys: { columns: 'key', text: `group_concat(key, '')` },
  prefixes: { columns: 'key, prefix', text: `group_concat(prefix, char(10))` },
  rows: {
    columns: 'key, prefix, first_seen, last_seen, reports, expires, sources',
    text: `group_concat(prefix || ' ' || first_seen || ' ' || last_seen || ' ' || reports || ' ' || expires || ' ' || sources, char(10))`,
  },
} as const;

export type PageText = keyof typeof PAGE_TEXT;

/**
 * The filtered effective list in key (address) order, a page of text at a time, read by key
 * ranges (each page starts after the last key of the one before) so every page is an index seek.
 * Call inside one read transaction for a consistent snapshot. The subquery's ORDER BY with LIMIT
 * is evaluated as a co-routine that feeds group_concat in that order (`group_concat(… ORDER BY
 * key)` would sort every page again, twice as slow).
 */
export function* effectivePages(store: Store, filter: EffectiveFilter, what: PageText): Generator<string> {
  const { where, params } = filterSql(filter);
  const page = store
    .prepare(
      `SELECT ${PAGE_TEXT[what].text}, max(key), count(*)
       FROM (SELECT ${PAGE_TEXT[what].columns} FROM effective WHERE key > @after ${where} ORDER BY key LIMIT ${PAGE_ROWS})`,
    )
    .raw();
  // Keys start with the family digit: '4' sorts before every IPv4 key, '6' before every IPv6 one.
  let after = filter.family === undefined ? '' : String(filter.family);
  for (;;) {
    const [text, last, rows] = page.get({ ...params, after }) as [string | null, string | null, number];
    if (rows === 0 || text === null || last === null) return;
    yield text;
    if (rows < PAGE_ROWS) return;
    after = last;
  }
}

/** How many pieces pass the filter. */
export function effectiveFilteredCount(store: Store, filter: EffectiveFilter): number {
  const { where, params } = filterSql(filter);
  // Without filters SQLite counts the smallest index instead of scanning the table.
  return store.prepare(`SELECT count(*) FROM effective WHERE 1 ${where}`).pluck().get(params) as number;
}

/** Splits a `rows` page into pieces. */
export function parseRowPage(text: string): ListedPiece[] {
  const out: ListedPiece[] = [];
  for (const line of text.split('\n')) {
    const a = line.indexOf(' ');
    const b = line.indexOf(' ', a + 1);
    const c = line.indexOf(' ', b + 1);
    const d = line.indexOf(' ', c + 1);
    const e = line.indexOf(' ', d + 1);
    out.push({
      prefix: line.slice(0, a),
      firstSeen: Number(line.slice(a + 1, b)),
      lastSeen: Number(line.slice(b + 1, c)),
      reports: Number(line.slice(c + 1, d)),
      expires: Number(line.slice(d + 1, e)),
      sources: line.slice(e + 1),
    });
  }
  return out;
}

/**
 * The filter as SQL conditions, only those asked for: a condition SQLite cannot rule out before
 * running (`@x IS NULL OR …`) makes it read the table row even when the key index would do.
 */
function filterSql(filter: EffectiveFilter): { where: string; params: Record<string, string | number> } {
  const conditions: string[] = [];
  const params: Record<string, string | number> = {};
  if (filter.family !== undefined) {
    conditions.push('key >= @familyFirst AND key < @familyEnd');
    params.familyFirst = String(filter.family);
    params.familyEnd = String(filter.family + 1);
  }
  if (filter.minSources !== undefined && filter.minSources > 1) {
    conditions.push('source_count >= @minSources');
    params.minSources = filter.minSources;
  }
  if (filter.since !== undefined) {
    conditions.push('last_seen >= @since');
    params.since = filter.since;
  }
  if (filter.sources && filter.sources.length > 0) {
    // `sources` is a sorted, space-separated list: pad both sides so a name matches only whole.
    const any = filter.sources.map((s, i) => {
      params[`source${i}`] = ` ${s} `;
      return `instr(' ' || sources || ' ', @source${i}) > 0`;
    });
    conditions.push(`(${any.join(' OR ')})`);
  }
  return { where: conditions.map((c) => `AND ${c}`).join(' '), params };
}
