import type { EffectiveFilter, ListedPiece } from './effective-query.js';
import type { Store } from './open-store.js';
import { labelsBeyondGreen } from './effective-query.js';

export type { ListedPiece } from './effective-query.js';

/**
 * What a page concatenates, and how many rows. better-sqlite3 spends about 0.4 µs handing each
 * value to JavaScript, more than SQLite takes to find the row, so the export has SQLite join a
 * page of rows into one string: `keys` (fixed-width, no separator; the family digit gives the
 * width) comes from the key index alone when no filter needs the table, `prefixes` are
 * newline-separated, `rows` are `prefix firstSeen lastSeen reports expires sources` lines. Pages
 * stay small enough that a page's parsed rows die young: a V8 scavenge promotes whatever is live,
 * and 8,192 parsed rows at a time grew the old space (and RSS) by 100 MB over a million rows
 * (2,048 prefixes a page: 20 MB less peak RSS than 8,192, no slower).
 */
const PAGE_TEXT = {
  keys: { rows: 8192, columns: 'key', text: `group_concat(key, '')` },
  prefixes: { rows: 2048, columns: 'key, prefix', text: `group_concat(prefix, char(10))` },
  rows: {
    rows: 1024,
    columns: 'key, prefix, first_seen, last_seen, reports, expires, sources',
    text: `group_concat(prefix || ' ' || first_seen || ' ' || last_seen || ' ' || reports || ' ' || expires || ' ' || sources, char(10))`,
  },
  /**
   * `rows` led by the key, for a read cut by origin (the key gives the range without parsing).
   * 256 rows a page: a row cut by origin makes objects of twice the members, and at 1,024 a page
   * `spamx export --format csv` of 10,000,000 rows peaked at 285 MB RSS (158 MB at 256).
   */
  keyedRows: {
    rows: 256,
    columns: 'key, prefix, first_seen, last_seen, reports, expires, sources',
    text: `group_concat(key || ' ' || prefix || ' ' || first_seen || ' ' || last_seen || ' ' || reports || ' ' || expires || ' ' || sources, char(10))`,
  },
  /**
   * `keyedRows` and, for the abuse-desk format, the batch that last listed the piece (its most
   * recently seen active source's) and that entry's category, JSON-quoted (free text).
   */
  abuseRows: {
    rows: 256,
    columns: `key, prefix, first_seen, last_seen, reports, expires, sources,
      (SELECT l.publisher || ' ' || l.seq || ' ' || json_quote(coalesce(l.category, ''))
       FROM origin_pieces o JOIN listings l ON l.key = o.origin
       WHERE o.piece = effective.key AND l.op = 'list' AND instr(' ' || effective.sources || ' ', ' ' || l.publisher || ' ') > 0
       ORDER BY l.last_seen DESC, l.publisher LIMIT 1) AS batch`,
    text: `group_concat(key || ' ' || prefix || ' ' || first_seen || ' ' || last_seen || ' ' || reports || ' ' || expires || ' ' || coalesce(batch, '- 0 ""') || ' ' || sources, char(10))`,
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
  const { where, params } = filterSql(store, filter);
  const { rows: pageRows, columns, text } = PAGE_TEXT[what];
  // Prepared once per filter shape (export-bench): the 10,000,000-row export reads it per page.
  const page = store
    .prepare(
      `SELECT ${text}, max(key), count(*)
       FROM (SELECT ${columns} FROM effective WHERE key > @after ${where} ORDER BY key LIMIT ${pageRows})`,
    )
    .raw();
  // Keys start with the family digit: '4' sorts before every IPv4 key, '6' before every IPv6 one.
  let after = filter.family === undefined ? '' : String(filter.family);
  for (;;) {
    const [pageText, lastKey, count] = page.get({ ...params, after }) as [string | null, string | null, number];
    if (count === 0 || pageText === null || lastKey === null) return;
    yield pageText;
    if (count < pageRows) return;
    after = lastKey;
  }
}

/** A `keyedRows` or `abuseRows` line: the piece with its key, and for the latter its batch. */
export interface KeyedPiece extends ListedPiece {
  readonly key: string;
  /** The batch that last listed it and that entry's category (`abuseRows` only). */
  readonly batch?: { readonly publisher: string; readonly seq: number; readonly category: string };
}

/**
 * Splits a `keyedRows` (or, with `withBatch`, an `abuseRows`) page into pieces, by position as
 * parseRowPage does: a field array or a spread per line made this the export's slowest step.
 */
export function parseKeyedPage(text: string, withBatch: boolean): KeyedPiece[] {
  const out: KeyedPiece[] = [];
  for (const line of text.split('\n')) {
    const k = line.indexOf(' ');
    const a = line.indexOf(' ', k + 1);
    const b = line.indexOf(' ', a + 1);
    const c = line.indexOf(' ', b + 1);
    const d = line.indexOf(' ', c + 1);
    const e = line.indexOf(' ', d + 1);
    const key = line.slice(0, k);
    const prefix = line.slice(k + 1, a);
    const firstSeen = Number(line.slice(a + 1, b));
    const lastSeen = Number(line.slice(b + 1, c));
    const reports = Number(line.slice(c + 1, d));
    const expires = Number(line.slice(d + 1, e));
    if (!withBatch) {
      out.push({ key, prefix, firstSeen, lastSeen, reports, expires, sources: line.slice(e + 1) });
      continue;
    }
    // publisher seq "category" sources: the category is a JSON string, spaces and all.
    const p = line.indexOf(' ', e + 1);
    const q = line.indexOf(' ', p + 1);
    const category = jsonStringAt(line, q + 1);
    const publisher = line.slice(e + 1, p);
    const batch = publisher === '-' ? undefined : { publisher, seq: Number(line.slice(p + 1, q)), category: category.value };
    out.push({ key, prefix, firstSeen, lastSeen, reports, expires, sources: line.slice(category.end + 1), batch });
  }
  return out;
}

/** The JSON string starting at `from` (SQLite's json_quote output) and where it ends. */
function jsonStringAt(line: string, from: number): { value: string; end: number } {
  let i = from + 1;
  while (i < line.length && line.charCodeAt(i) !== 0x22) i += line.charCodeAt(i) === 0x5c ? 2 : 1;
  return { value: JSON.parse(line.slice(from, i + 1)) as string, end: i + 1 };
}

/** How many pieces pass the filter. */
export function effectiveFilteredCount(store: Store, filter: EffectiveFilter): number {
  const { where, params } = filterSql(store, filter);
  // Prepared (export-bench); without filters SQLite counts the smallest index instead of scanning the table.
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
function filterSql(store: Store, filter: EffectiveFilter): { where: string; params: Record<string, string | number> } {
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
    conditions.push(`${namesAnyFunction(store)}(sources, @wanted)`);
    params.wanted = filter.sources.join(' ');
  }
  return { where: conditions.map((c) => `AND ${c}`).join(' '), params };
}

const withNamesAny = new WeakSet<Store['db']>();

/**
 * `spamx_names_any(sources, wanted)`: 1 when the space-separated `sources` of a row and `wanted`
 * share a name, registered once per connection. One call a row looks at each of the row's few
 * sources once; the `instr` per wanted name it replaces cost 100 calls a row for a filter of 100
 * publishers (3.4 s for 200,000 rows, twice: the count, then the pages; now about 0.1 s).
 */
function namesAnyFunction(store: Store): string {
  if (!withNamesAny.has(store.db)) {
    let last = '';
    let wanted = new Set<string>();
    store.db.function('spamx_names_any', { deterministic: true, directOnly: true }, (sources: unknown, names: unknown) => {
      if (typeof sources !== 'string' || typeof names !== 'string') return 0;
      if (names !== last) {
        last = names;
        wanted = new Set(names.split(' '));
      }
      let from = 0;
      for (;;) {
        const end = sources.indexOf(' ', from);
        if (wanted.has(end < 0 ? sources.slice(from) : sources.slice(from, end))) return 1;
        if (end < 0) return 0;
        from = end + 1;
      }
    });
    withNamesAny.add(store.db);
  }
  return 'spamx_names_any';
}

/**
 * The served pieces whose label does not reach everyone (core/tlp.ts rank above green), by key
 * and by prefix: what the export leaves out, or cuts further, for a reader who may not see them.
 * Expected few; an export with none pays for this one read and nothing per row. It reads the
 * table (no index holds the label), once per export.
 */
export function restrictedPieces(store: Store): { byKey: Map<string, number>; byPrefix: Map<string, number> } {
  // A store that never served a label beyond green has none to look for (store/projector.ts noteLabels):
  // the usual export pays one meta read, not a scan of the table (170 ms a million pieces).
  if (!labelsBeyondGreen(store)) return { byKey: new Map(), byPrefix: new Map() };
  // Prepared: once per export (export-bench).
  const rows = store.prepare('SELECT key, prefix, tlp FROM effective WHERE tlp > 1').raw().iterate() as IterableIterator<[string, string, number]>;
  const byKey = new Map<string, number>();
  const byPrefix = new Map<string, number>();
  for (const [key, prefix, tlp] of rows) {
    byKey.set(key, tlp);
    byPrefix.set(prefix, tlp);
  }
  return { byKey, byPrefix };
}

/** How many pieces pass the filter with a label of at most `maxTlp` (core/tlp.ts rank). */
export function effectiveCountUpTo(store: Store, filter: EffectiveFilter, maxTlp: number): number {
  const { where, params } = filterSql(store, filter);
  // Prepared (export-bench): read only when restricted pieces exist and the format writes a count.
  return store.prepare(`SELECT count(*) FROM effective WHERE tlp <= @maxTlp ${where}`).pluck().get({ ...params, maxTlp }) as number;
}
