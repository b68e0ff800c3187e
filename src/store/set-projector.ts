import { coveringPrefixes, prefixEnd, prefixKey } from '../core/prefix.js';
import type { PrefixSet } from '../core/prefix-set.js';
import type { KeyProjector } from './key-projector.js';
import type { Store } from './open-store.js';

// Prepared statements (pull-bench): a handful per projected chunk of keys, whatever its size.

/** What projecting a key does, as CLASSIFY decides from the store before the chunk. */
const NOOP = 0; // no active listing and no pieces: nothing
const ADD = 1; // active listings, no pieces, no piece under its key: one new piece, itself
const UPDATE = 2; // active listings, its one piece is itself and only its own: new values
const REMOVE = 3; // no active listing, its one piece is itself and only its own: gone
const GENERAL = 9; // anything else (shared or carved pieces, allowlist overlap): KeyProjector

const TABLES = `
  CREATE TEMP TABLE IF NOT EXISTS projection_keys (key TEXT PRIMARY KEY, ord INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TEMP TABLE IF NOT EXISTS projection_rows (
    ord INTEGER PRIMARY KEY, key TEXT NOT NULL, cat INTEGER NOT NULL, prefix TEXT, first_seen INTEGER, last_seen INTEGER,
    reports INTEGER, expires INTEGER, next_expiry INTEGER, sources TEXT, source_count INTEGER,
    eid INTEGER, eprefix TEXT, esources TEXT, eexpires INTEGER, tlp INTEGER, etlp INTEGER);
  CREATE TEMP TABLE IF NOT EXISTS projection_allow (lo TEXT NOT NULL, hi TEXT NOT NULL);
  CREATE TEMP TABLE IF NOT EXISTS projection_allow_keys (key TEXT PRIMARY KEY) WITHOUT ROWID;`;

/**
 * Each key's aggregate over its active listings (as KeyProjector's), its piece under its own key
 * if any, and its category. Keys are visited in key order, so the probes of `listings`,
 * `effective` and `origin_pieces` walk each index forwards. Sources are sorted; only a key
 * listed by several publishers needs the sort.
 */
const CLASSIFY = `
  INSERT INTO projection_rows (ord, key, cat, prefix, first_seen, last_seen, reports, expires, next_expiry, sources, source_count, eid, eprefix, esources, eexpires, tlp, etlp)
  SELECT ord, key,
    CASE
      WHEN NOT EXISTS (SELECT 1 FROM origin_pieces WHERE origin = g.key) THEN CASE WHEN n = 0 THEN ${NOOP} WHEN eid IS NULL THEN ${ADD} ELSE ${GENERAL} END
      WHEN erefs = 1 AND (SELECT min(piece) = g.key AND max(piece) = g.key FROM origin_pieces WHERE origin = g.key) THEN CASE WHEN n = 0 THEN ${REMOVE} ELSE ${UPDATE} END
      ELSE ${GENERAL}
    END,
    prefix, first_seen, last_seen, reports, expires, next_expiry,
    CASE WHEN n > 1 THEN (SELECT group_concat(publisher, ' ' ORDER BY publisher) FROM listings WHERE key = g.key AND op = 'list' AND expires > @now) ELSE sources END,
    n, eid, eprefix, esources, eexpires, tlp, etlp
  FROM (
    SELECT k.ord, k.key, count(l.key) AS n, min(l.prefix) AS prefix, min(l.first_seen) AS first_seen, max(l.last_seen) AS last_seen,
      sum(l.reports) AS reports, max(l.expires) AS expires, min(l.expires) AS next_expiry, min(l.publisher) AS sources,
      e.id AS eid, e.refs AS erefs, e.prefix AS eprefix, e.sources AS esources, e.expires AS eexpires,
      max(l.tlp) AS tlp, e.tlp AS etlp
    FROM projection_keys k
    LEFT JOIN listings l ON l.key = k.key AND l.op = 'list' AND l.expires > @now
    LEFT JOIN effective e ON e.key = k.key
    GROUP BY k.key
  ) g`;

/**
 * True when no key of the chunk has pieces or a piece under its own key, and none overlaps the
 * allowlist: every key is then an ADD or a NOOP (a pulled history's first projection). Index
 * probes only, in key order.
 */
const ALL_NEW = `
  SELECT NOT EXISTS (SELECT 1 FROM projection_keys k
    WHERE EXISTS (SELECT 1 FROM origin_pieces WHERE origin = k.key) OR EXISTS (SELECT 1 FROM effective WHERE key = k.key))
  AND NOT EXISTS (SELECT 1 FROM projection_allow a CROSS JOIN projection_keys k ON k.key BETWEEN a.lo AND a.hi)
  AND NOT EXISTS (SELECT 1 FROM projection_allow_keys c CROSS JOIN projection_keys k ON k.key = c.key)`;

/** For ALL_NEW chunks: the pieces straight from the listings, without classifying them first. */
const ADD_ALL = `
  INSERT INTO effective (id, key, prefix, refs, first_seen, last_seen, reports, expires, next_expiry, sources, source_count, listed_at, tlp)
  SELECT @base + row_number() OVER (ORDER BY ord), key, prefix, 1, first_seen, last_seen, reports, expires, next_expiry, sources, n, @now, tlp
  FROM (
    SELECT k.ord, k.key, count(*) AS n, min(l.prefix) AS prefix, min(l.first_seen) AS first_seen, max(l.last_seen) AS last_seen,
      sum(l.reports) AS reports, max(l.expires) AS expires, min(l.expires) AS next_expiry, max(l.tlp) AS tlp,
      CASE WHEN count(*) > 1 THEN (SELECT group_concat(publisher, ' ' ORDER BY publisher) FROM listings WHERE key = k.key AND op = 'list' AND expires > @now)
        ELSE min(l.publisher) END AS sources
    FROM projection_keys k CROSS JOIN listings l ON l.key = k.key AND l.op = 'list' AND l.expires > @now
    GROUP BY k.key)
  ORDER BY ord`;
/** In key order, as ADD_ORIGINS: `projection_keys` is kept in key order. */
const ADD_ALL_ORIGINS = `INSERT INTO origin_pieces (origin, piece) SELECT key, key FROM projection_keys k WHERE EXISTS (SELECT 1 FROM effective WHERE key = k.key AND id > @base)`;
const LOG_ALL = `INSERT INTO changes (op, key, prefix, at, piece_id, sources, tlp) SELECT 'added', key, prefix, @now, id, sources, tlp FROM effective WHERE id > @base ORDER BY id`;

/**
 * Keys an allowlist member overlaps: those starting inside it, and those containing it. The
 * members drive (CROSS JOIN keeps them the outer loop): a few range scans, not a probe per key.
 */
const ALLOWED = `
  UPDATE projection_rows SET cat = ${GENERAL} WHERE cat IN (${ADD}, ${UPDATE}) AND ord IN (
    SELECT k.ord FROM projection_allow a CROSS JOIN projection_keys k ON k.key BETWEEN a.lo AND a.hi
    UNION SELECT k.ord FROM projection_allow_keys c CROSS JOIN projection_keys k ON k.key = c.key)`;

/** The rows of one run of keys between two that the general path projects. */
const RUN = `ord > @lo AND ord < @hi`;

/** New pieces, their ids in the keys' order, as KeyProjector gives them one key at a time. */
const ADD_PIECES = `
  INSERT INTO effective (id, key, prefix, refs, first_seen, last_seen, reports, expires, next_expiry, sources, source_count, listed_at, tlp)
  SELECT @base + row_number() OVER (ORDER BY ord), key, prefix, 1, first_seen, last_seen, reports, expires, next_expiry, sources, source_count, @now, tlp
  FROM projection_rows WHERE ${RUN} AND cat = ${ADD} ORDER BY ord`;
/** In key order: both of the table's indexes are then written forwards (its rowids are read by no one). */
const ADD_ORIGINS = `INSERT INTO origin_pieces (origin, piece) SELECT key, key FROM projection_rows WHERE ${RUN} AND cat = ${ADD} ORDER BY key`;
const UPDATE_PIECES = `
  UPDATE effective SET first_seen = r.first_seen, last_seen = r.last_seen, reports = r.reports, expires = r.expires,
    next_expiry = r.next_expiry, sources = r.sources, source_count = r.source_count, tlp = r.tlp
  FROM projection_rows r WHERE r.ord > @lo AND r.ord < @hi AND r.cat = ${UPDATE} AND effective.id = r.eid`;
const REMOVE_ORIGINS = `DELETE FROM origin_pieces WHERE origin IN (SELECT key FROM projection_rows WHERE ${RUN} AND cat = ${REMOVE})`;
const REMOVE_PIECES = `DELETE FROM effective WHERE id IN (SELECT eid FROM projection_rows WHERE ${RUN} AND cat = ${REMOVE})`;
/** The change log, in the keys' order as KeyProjector logs: an update only when sources, expiry or label moved. */
const LOG = `
  INSERT INTO changes (op, key, prefix, at, piece_id, sources, tlp)
  SELECT CASE cat WHEN ${ADD} THEN 'added' WHEN ${UPDATE} THEN 'updated' ELSE 'removed' END, key,
    CASE cat WHEN ${REMOVE} THEN eprefix ELSE prefix END, @now,
    CASE cat WHEN ${ADD} THEN @base + adds ELSE eid END,
    CASE cat WHEN ${REMOVE} THEN esources ELSE sources END,
    CASE cat WHEN ${REMOVE} THEN etlp ELSE tlp END
  FROM (SELECT *, count(*) FILTER (WHERE cat = ${ADD}) OVER (ORDER BY ord ROWS UNBOUNDED PRECEDING) AS adds
        FROM projection_rows WHERE ${RUN} AND cat IN (${ADD}, ${UPDATE}, ${REMOVE}))
  WHERE cat <> ${UPDATE} OR sources IS NOT esources OR expires IS NOT eexpires OR tlp IS NOT etlp
  ORDER BY ord`;

/** The allowlist the temporary tables hold, per connection. */
const allowlistLoaded = new WeakMap<object, PrefixSet>();

/**
 * Projects `keys`, in order, as KeyProjector.reproject of each would, with the same rows,
 * ids and change log. Most keys of a pulled batch take one of four plain cases (see the
 * categories above); those are projected a run at a time with a few statements for the whole
 * run (a million keys' pieces and changes took some 8 statements per key before). A key in no
 * plain case, a key seen again, or a key the general path touched since it was classified, goes
 * to `general` where it stands, between two runs. Runs in the caller's transaction.
 */
export function projectKeys(store: Store, keys: readonly string[], now: number, allowlist: PrefixSet, general: KeyProjector): void {
  if (keys.length === 0) return;
  store.db.exec(TABLES);
  store.prepare('DELETE FROM projection_keys').run();
  store.prepare('DELETE FROM projection_rows').run();
  try {
    loadAllowlist(store, allowlist);
    project(store, keys, now, allowlist, general);
  } catch (err) {
    allowlistLoaded.delete(store.db); // the transaction rolls the temporary tables back too
    throw err;
  }
}

function project(store: Store, keys: readonly string[], now: number, allowlist: PrefixSet, general: KeyProjector): void {
  const inserted = store.prepare('INSERT OR IGNORE INTO projection_keys (key, ord) SELECT value, key FROM json_each(?)').run(JSON.stringify(keys)).changes;
  if (inserted === keys.length && store.prepare(ALL_NEW).pluck().get() === 1) {
    const base = lastPieceId(store);
    store.prepare(ADD_ALL).run({ base, now });
    store.prepare(ADD_ALL_ORIGINS).run({ base });
    general.changesLogged += store.prepare(LOG_ALL).run({ base, now }).changes;
    general.keysSeen += keys.length;
    return;
  }
  store.prepare(CLASSIFY).run({ now });
  if (allowlist.size > 0) store.prepare(ALLOWED).run();
  // Where the general path takes over: its own keys, and keys seen again in this chunk.
  const stops = store.prepare(`SELECT ord FROM projection_rows WHERE cat = ${GENERAL} ORDER BY ord`).pluck().all() as number[];
  const firstOrd = inserted === keys.length ? undefined : firstOccurrences(keys);
  if (firstOrd) for (let i = 0; i < keys.length; i++) if (firstOrd.get(keys[i]!) !== i) stops.push(i);
  if (firstOrd) stops.sort((a, b) => a - b);
  const ordOf = store.prepare('SELECT ord FROM projection_keys WHERE key = ?').pluck();
  const demote = store.prepare(`UPDATE projection_rows SET cat = ${GENERAL} WHERE ord = ? AND cat <> ${GENERAL}`);
  let lo = -1;
  let seen = general.dirtyOrder.length; // keys the general path touched, looked at so far
  for (let s = 0; s <= stops.length; s++) {
    const hi = s < stops.length ? stops[s]! : keys.length;
    flushRun(store, general, lo, hi, now);
    if (hi === keys.length) break;
    const key = keys[hi]!;
    const again = firstOrd !== undefined && firstOrd.get(key) !== hi;
    // A key seen again is a no-op after its first projection, unless the general path has since
    // touched it; the first time, a demoted or general key goes to the general path.
    if (!again || general.dirty.has(key)) general.reproject(key);
    else general.keysSeen++;
    lo = hi;
    // Keys further on that the general path touched were classified before it: they are
    // projected where they stand by the general path too.
    for (; seen < general.dirtyOrder.length; seen++) {
      const k = general.dirtyOrder[seen]!;
      const ord = k === key ? undefined : (ordOf.get(k) as number | undefined);
      if (ord !== undefined && ord > hi && demote.run(ord).changes > 0) insertSorted(stops, ord, s + 1);
    }
  }
}

/** Projects the plain keys strictly between ords `lo` and `hi`. */
function flushRun(store: Store, general: KeyProjector, lo: number, hi: number, now: number): void {
  if (hi - lo <= 1) return;
  const base = lastPieceId(store);
  const run = { lo, hi };
  store.prepare(ADD_PIECES).run({ ...run, base, now });
  store.prepare(ADD_ORIGINS).run(run);
  const updated = store.prepare(UPDATE_PIECES).run(run).changes;
  store.prepare(REMOVE_ORIGINS).run(run);
  store.prepare(REMOVE_PIECES).run(run);
  general.changesLogged += store.prepare(LOG).run({ ...run, base, now }).changes;
  if (updated > 0) general.touched = true;
  general.keysSeen += hi - lo - 1;
}

/** The id AUTOINCREMENT would give the next new piece, less one. */
function lastPieceId(store: Store): number {
  return store
    .prepare(`SELECT max(ifnull((SELECT seq FROM sqlite_sequence WHERE name = 'effective'), 0), ifnull((SELECT max(id) FROM effective), 0))`)
    .pluck()
    .get() as number;
}

function firstOccurrences(keys: readonly string[]): Map<string, number> {
  const first = new Map<string, number>();
  for (let i = 0; i < keys.length; i++) if (!first.has(keys[i]!)) first.set(keys[i]!, i);
  return first;
}

/** Inserts `ord` into the ascending `stops`, at or after index `from`, unless it is there. */
function insertSorted(stops: number[], ord: number, from: number): void {
  let i = from;
  while (i < stops.length && stops[i]! < ord) i++;
  if (stops[i] !== ord) stops.splice(i, 0, ord);
}

/**
 * Loads the allowlist into the temporary tables as ranges of keys: a listed prefix overlaps
 * a member when its key lies in the member's range (it starts inside it) or is one of the
 * member's covering prefixes (it contains it); the same test as queueOverlapping.
 */
function loadAllowlist(store: Store, allowlist: PrefixSet): void {
  if (allowlistLoaded.get(store.db) === allowlist) return;
  store.prepare('DELETE FROM projection_allow').run();
  store.prepare('DELETE FROM projection_allow_keys').run();
  const range = store.prepare('INSERT INTO projection_allow (lo, hi) VALUES (?, ?)');
  const cover = store.prepare('INSERT OR IGNORE INTO projection_allow_keys (key) VALUES (?)');
  for (const p of allowlist.members()) {
    range.run(prefixKey(p.family, p.start, 0), prefixKey(p.family, prefixEnd(p), p.family === 4 ? 32 : 128));
    for (const c of coveringPrefixes(p)) cover.run(c.key);
  }
  allowlistLoaded.set(store.db, allowlist);
}
