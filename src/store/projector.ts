import { coveringPrefixes, parsePrefix, prefixEnd, prefixKey, type Prefix } from '../core/prefix.js';
import { subtractPrefixes, type PrefixSet } from '../core/prefix-set.js';
import { bumpEffectiveVersion, getMeta, setMeta } from './meta-store.js';
import { writeTransaction, type Store } from './open-store.js';

/**
 * Keeps the effective list (`effective`, `origin_pieces`, `changes`) in step with `listings`.
 * Applying a batch only records which prefix keys it touched (`pending_keys`), so pulls stay
 * fast; the projection runs right after, or before any read of the effective list, in its own
 * transactions, and appends each change of the list to the log exactly once.
 */
export interface ProjectionRules {
  readonly allowlist: PrefixSet;
}

export interface ProjectionResult {
  readonly keys: number;
  readonly changes: number;
}

/**
 * Projects pending keys, a few batches' worth per transaction, until none are left. Projected
 * rows stay in `pending_keys` (past `pending_projected_through`) until the daemon prunes them:
 * they are also the log the in-memory lookup index follows to learn which listings changed.
 */
export function projectPending(store: Store, now: number, rules: ProjectionRules): ProjectionResult {
  // Read first: an idle check must not take the write lock (or pay a commit) on every read.
  if (store.prepare('SELECT 1 FROM pending_keys WHERE id > ? LIMIT 1').get(projectedThrough(store)) === undefined) return { keys: 0, changes: 0 };
  let keys = 0;
  let changes = 0;
  for (;;) {
    const step = writeTransaction(store, () => {
      const rows = store.prepare('SELECT id, keys FROM pending_keys WHERE id > ? ORDER BY id LIMIT 4').all(projectedThrough(store)) as { id: number; keys: string }[];
      if (rows.length === 0) return undefined;
      const projector = new Projector(store, now, rules);
      for (const row of rows) for (const key of row.keys.split('\n')) if (key) projector.reproject(key);
      setMeta(store, 'pending_projected_through', String(rows.at(-1)!.id));
      projector.finish();
      return projector;
    });
    if (!step) return { keys, changes };
    keys += step.keysSeen;
    changes += step.changesLogged;
  }
}

function projectedThrough(store: Store): number {
  return Number(getMeta(store, 'pending_projected_through') ?? 0);
}

/** `pending_keys` rows up to this id are gone: a follower behind it must start from a snapshot. */
export function pendingPrunedThrough(store: Store): number {
  return Number(getMeta(store, 'pending_pruned_through') ?? 0);
}

/** The newest `pending_keys` row, projected or not (0 when there has never been one). */
export function lastPendingId(store: Store): number {
  return Math.max((store.prepare('SELECT max(id) FROM pending_keys').pluck().get() as number | null) ?? 0, pendingPrunedThrough(store));
}

/**
 * Drops projected `pending_keys` rows up to `through` (never unprojected ones), remembering the
 * last id dropped in the same transaction so a follower can tell it missed some.
 */
export function prunePendingKeys(store: Store, through: number): number {
  return writeTransaction(store, () => {
    const last = Math.min(through, projectedThrough(store));
    if (last <= pendingPrunedThrough(store)) return 0;
    const dropped = store.prepare('DELETE FROM pending_keys WHERE id <= ?').run(last).changes;
    setMeta(store, 'pending_pruned_through', String(last));
    return dropped;
  });
}

/** Re-projects the prefixes whose earliest active source has expired by `now`. */
export function projectExpired(store: Store, now: number, rules: ProjectionRules): ProjectionResult {
  if (store.prepare('SELECT 1 FROM effective WHERE next_expiry <= ? LIMIT 1').get(now) === undefined) return { keys: 0, changes: 0 };
  return writeTransaction(store, () => {
    const origins = store
      .prepare(
        `SELECT DISTINCT o.origin FROM effective e JOIN origin_pieces o ON o.piece = e.key
         WHERE e.next_expiry <= ? LIMIT 100000`,
      )
      .pluck()
      .all(now) as string[];
    const projector = new Projector(store, now, rules);
    for (const origin of origins) projector.reproject(origin);
    projector.finish();
    return { keys: projector.keysSeen, changes: projector.changesLogged };
  });
}

/** Queues for projection every stored prefix overlapping any of `prefixes` (an allowlist edit). */
export function queueOverlapping(store: Store, prefixes: readonly Prefix[]): void {
  const keys = new Set<string>();
  const within = store.prepare('SELECT DISTINCT key FROM listings WHERE key >= ? AND key <= ?').pluck();
  const exact = store.prepare('SELECT DISTINCT key FROM listings WHERE key = ?').pluck();
  for (const p of prefixes) {
    const bits = p.family === 4 ? 32 : 128;
    // Keys order by start address, then length: every prefix starting inside p lies between these.
    for (const k of within.all(prefixKey(p.family, p.start, 0), prefixKey(p.family, prefixEnd(p), bits)) as string[]) keys.add(k);
    for (const c of coveringPrefixes(p)) for (const k of exact.all(c.key) as string[]) keys.add(k);
  }
  if (keys.size > 0) store.prepare('INSERT INTO pending_keys (keys) VALUES (?)').run([...keys].join('\n'));
}

interface Aggregate {
  prefix: string;
  firstSeen: number;
  lastSeen: number;
  reports: number;
  expires: number;
  nextExpiry: number;
  sources: string;
  sourceCount: number;
}

class Projector {
  keysSeen = 0;
  changesLogged = 0;
  private touched = false;
  private readonly aggregate;
  private readonly oldPieces;
  private readonly dropPiece;
  private readonly addPiece;
  private readonly release;
  private readonly remove;
  private readonly originsOf;
  private readonly current;
  private readonly insert;
  private readonly update;
  private readonly log;

  constructor(
    private readonly store: Store,
    private readonly now: number,
    private readonly rules: ProjectionRules,
  ) {
    this.aggregate = store.prepare(
      `SELECT prefix, min(first_seen) AS firstSeen, max(last_seen) AS lastSeen, sum(reports) AS reports,
         max(expires) AS expires, min(expires) AS nextExpiry, group_concat(publisher, ' ') AS sources, count(*) AS sourceCount
       FROM listings WHERE key = ? AND op = 'list' AND expires > ? GROUP BY key`,
    );
    this.oldPieces = store.prepare('SELECT piece FROM origin_pieces WHERE origin = ?').pluck();
    this.dropPiece = store.prepare('DELETE FROM origin_pieces WHERE origin = ? AND piece = ?');
    this.addPiece = store.prepare('INSERT INTO origin_pieces (origin, piece) VALUES (?, ?)');
    this.release = store.prepare('UPDATE effective SET refs = refs - 1 WHERE key = ? RETURNING id, refs, prefix, sources');
    this.remove = store.prepare('DELETE FROM effective WHERE key = ?');
    this.originsOf = store.prepare('SELECT origin FROM origin_pieces WHERE piece = ?').pluck();
    this.current = store.prepare('SELECT id, refs, sources, expires FROM effective WHERE key = ?');
    this.insert = store.prepare(
      `INSERT INTO effective (key, prefix, refs, first_seen, last_seen, reports, expires, next_expiry, sources, source_count, listed_at)
       VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.update = store.prepare(
      `UPDATE effective SET refs = refs + ?, first_seen = ?, last_seen = ?, reports = ?, expires = ?, next_expiry = ?,
         sources = ?, source_count = ? WHERE key = ?`,
    );
    this.log = store.prepare('INSERT INTO changes (op, key, prefix, at, piece_id, sources) VALUES (?, ?, ?, ?, ?, ?)');
  }

  /** Brings one origin prefix's pieces in line with its listings now. */
  reproject(origin: string): void {
    this.keysSeen++;
    const agg = this.aggregate.get(origin, this.now) as Aggregate | undefined;
    const wanted = agg ? this.piecesOf(agg.prefix) : [];
    const had = new Set(this.oldPieces.all(origin) as string[]);
    const keep = new Set(wanted.map((p) => p.key));
    const stale = new Set<string>();
    for (const piece of had) {
      if (keep.has(piece)) continue;
      this.dropPiece.run(origin, piece);
      const left = this.release.get(piece) as { id: number; refs: number; prefix: string; sources: string } | undefined;
      if (left && left.refs <= 0) {
        this.remove.run(piece);
        this.change('removed', piece, left.prefix, left.id, left.sources);
      } else {
        this.touched = true;
        // The row may still hold this origin's values (the last origin projected writes them):
        // the prefixes still contributing the piece must write theirs, or it outlives them.
        for (const other of this.originsOf.all(piece) as string[]) stale.add(other);
      }
    }
    for (const other of stale) this.reproject(other);
    if (!agg) return;
    for (const p of wanted) {
      const before = this.current.get(p.key) as { id: number; refs: number; sources: string; expires: number } | undefined;
      const adds = had.has(p.key) ? 0 : 1;
      if (adds) this.addPiece.run(origin, p.key);
      // Usually the origin is the piece's only contributor; only a shared piece needs the others.
      const shared = before !== undefined && before.refs + adds > 1;
      const v = shared ? this.combined(p.key, origin, agg) : { ...agg, sources: agg.sources.split(' ').sort().join(' ') };
      if (!before) {
        const id = this.insert.run(p.key, p.text, v.firstSeen, v.lastSeen, v.reports, v.expires, v.nextExpiry, v.sources, v.sourceCount, this.now)
          .lastInsertRowid;
        this.change('added', p.key, p.text, Number(id), v.sources);
        continue;
      }
      this.update.run(adds, v.firstSeen, v.lastSeen, v.reports, v.expires, v.nextExpiry, v.sources, v.sourceCount, p.key);
      this.touched = true;
      // A later expiry is logged too: a CrowdSec bouncer holds each ban for the duration it was
      // sent, and would drop a ban that a fresh report has extended unless it is sent again.
      if (before.sources !== v.sources || before.expires !== v.expires) this.change('updated', p.key, p.text, before.id, v.sources);
    }
  }

  /**
   * A piece's values: its origin's aggregate, or, when several listed prefixes contribute the
   * same piece (an allowlist carves one into pieces another names exactly), all of theirs
   * together, so the row never depends on which origin was projected last.
   */
  private combined(piece: string, origin: string, own: Aggregate): Aggregate {
    const origins = this.originsOf.all(piece) as string[];
    const parts = origins.length <= 1 ? [own] : origins.map((o) => (o === origin ? own : (this.aggregate.get(o, this.now) as Aggregate | undefined))).filter((a): a is Aggregate => a !== undefined);
    const sources = [...new Set(parts.flatMap((a) => a.sources.split(' ')))].sort();
    return {
      prefix: own.prefix,
      firstSeen: Math.min(...parts.map((a) => a.firstSeen)),
      lastSeen: Math.max(...parts.map((a) => a.lastSeen)),
      reports: parts.reduce((n, a) => n + a.reports, 0),
      expires: Math.max(...parts.map((a) => a.expires)),
      nextExpiry: Math.min(...parts.map((a) => a.nextExpiry)),
      sources: sources.join(' '),
      sourceCount: sources.length,
    };
  }

  finish(): void {
    if (this.touched || this.changesLogged > 0) bumpEffectiveVersion(this.store, this.now);
  }

  private piecesOf(text: string): Prefix[] {
    const parsed = parsePrefix(text);
    if (!parsed.ok) return [];
    const { allowlist } = this.rules;
    if (allowlist.size === 0) return [parsed.prefix];
    if (allowlist.covering(parsed.prefix)) return [];
    const holes = allowlist.inside(parsed.prefix);
    return holes.length === 0 ? [parsed.prefix] : subtractPrefixes(parsed.prefix, holes);
  }

  private change(op: 'added' | 'removed' | 'updated', key: string, prefix: string, pieceId: number, sources: string): void {
    this.log.run(op, key, prefix, this.now, pieceId, sources);
    this.changesLogged++;
  }
}
