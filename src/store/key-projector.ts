import { parsePrefix, type Prefix } from '../core/prefix.js';
import { subtractPrefixes, type PrefixSet } from '../core/prefix-set.js';
import { bumpEffectiveVersion } from './meta-store.js';
import type { Store } from './open-store.js';

// Prepared statements (pull-bench): the general path runs these per projected key that the
// set-based path (set-projector.ts) leaves to it, and per expired prefix.

interface Aggregate {
  prefix: string;
  firstSeen: number;
  lastSeen: number;
  reports: number;
  expires: number;
  nextExpiry: number;
  sources: string;
  sourceCount: number;
  /** The most restrictive label (core/tlp.ts rank) among the active sources. */
  tlp: number;
}

/**
 * Brings origin prefixes' pieces in the effective list in line with their listings, one key at
 * a time, whatever the case: allowlist carving, pieces several listed prefixes share, pieces
 * that move. One per transaction; `finish` closes it.
 */
export class KeyProjector {
  keysSeen = 0;
  changesLogged = 0;
  /** An `effective` row changed without a change logged (a refreshed report): the version moves. */
  touched = false;
  /**
   * Origins this projector re-projected and pieces it wrote: the set-based path classified
   * keys before, and must not trust what it learnt of these (set-projector.ts).
   */
  readonly dirty = new Set<string>();
  /** The same, in the order first touched. */
  readonly dirtyOrder: string[] = [];
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
    private readonly allowlist: PrefixSet,
  ) {
    this.aggregate = store.prepare(
      `SELECT prefix, min(first_seen) AS firstSeen, max(last_seen) AS lastSeen, sum(reports) AS reports,
         max(expires) AS expires, min(expires) AS nextExpiry, group_concat(publisher, ' ') AS sources, count(*) AS sourceCount,
         max(tlp) AS tlp
       FROM listings WHERE key = ? AND op = 'list' AND expires > ? GROUP BY key`,
    );
    this.oldPieces = store.prepare('SELECT piece FROM origin_pieces WHERE origin = ?').pluck();
    this.dropPiece = store.prepare('DELETE FROM origin_pieces WHERE origin = ? AND piece = ?');
    this.addPiece = store.prepare('INSERT INTO origin_pieces (origin, piece) VALUES (?, ?)');
    this.release = store.prepare('UPDATE effective SET refs = refs - 1 WHERE key = ? RETURNING id, refs, prefix, sources, tlp');
    this.remove = store.prepare('DELETE FROM effective WHERE key = ?');
    this.originsOf = store.prepare('SELECT origin FROM origin_pieces WHERE piece = ?').pluck();
    this.current = store.prepare('SELECT id, refs, sources, expires, tlp FROM effective WHERE key = ?');
    this.insert = store.prepare(
      `INSERT INTO effective (key, prefix, refs, first_seen, last_seen, reports, expires, next_expiry, sources, source_count, listed_at, tlp)
       VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.update = store.prepare(
      `UPDATE effective SET refs = refs + ?, first_seen = ?, last_seen = ?, reports = ?, expires = ?, next_expiry = ?,
         sources = ?, source_count = ?, tlp = ? WHERE key = ?`,
    );
    this.log = store.prepare('INSERT INTO changes (op, key, prefix, at, piece_id, sources, tlp) VALUES (?, ?, ?, ?, ?, ?, ?)');
  }

  /** Brings one origin prefix's pieces in line with its listings now. */
  reproject(origin: string): void {
    this.keysSeen++;
    this.touch(origin);
    const agg = this.aggregate.get(origin, this.now) as Aggregate | undefined;
    const wanted = agg ? this.piecesOf(agg.prefix) : [];
    const had = new Set(this.oldPieces.all(origin) as string[]);
    const keep = new Set(wanted.map((p) => p.key));
    const stale = new Set<string>();
    for (const piece of had) {
      if (keep.has(piece)) continue;
      this.touch(piece);
      this.dropPiece.run(origin, piece);
      const left = this.release.get(piece) as { id: number; refs: number; prefix: string; sources: string; tlp: number } | undefined;
      if (left && left.refs <= 0) {
        this.remove.run(piece);
        this.change('removed', piece, left.prefix, left.id, left.sources, left.tlp);
      } else {
        this.touched = true;
        // The row may still hold this origin's values (the last origin projected writes them):
        // the prefixes still contributing the piece must write theirs, or it outlives them.
        for (const other of this.originsOf.all(piece) as string[]) stale.add(other);
      }
    }
    for (const other of stale) this.reproject(other);
    if (!agg) return;
    // Re-projecting those may have come back to this origin (it shares a piece with one of
    // them) and written its pieces already: what it has now, not what it had, decides an add.
    const has = stale.size > 0 ? new Set(this.oldPieces.all(origin) as string[]) : had;
    for (const p of wanted) {
      this.touch(p.key);
      const before = this.current.get(p.key) as { id: number; refs: number; sources: string; expires: number; tlp: number } | undefined;
      const adds = has.has(p.key) ? 0 : 1;
      if (adds) this.addPiece.run(origin, p.key);
      // Usually the origin is the piece's only contributor; only a shared piece needs the others.
      const shared = before !== undefined && before.refs + adds > 1;
      const v = shared ? this.combined(p.key, origin, agg) : { ...agg, sources: agg.sources.split(' ').sort().join(' ') };
      if (!before) {
        const id = this.insert.run(p.key, p.text, v.firstSeen, v.lastSeen, v.reports, v.expires, v.nextExpiry, v.sources, v.sourceCount, this.now, v.tlp)
          .lastInsertRowid;
        this.change('added', p.key, p.text, Number(id), v.sources, v.tlp);
        continue;
      }
      this.update.run(adds, v.firstSeen, v.lastSeen, v.reports, v.expires, v.nextExpiry, v.sources, v.sourceCount, v.tlp, p.key);
      this.touched = true;
      // A later expiry is logged too: a CrowdSec bouncer holds each ban for the duration it was
      // sent, and would drop a ban that a fresh report has extended unless it is sent again.
      // So is a new label: readers that may no longer see the piece are told to remove it.
      if (before.sources !== v.sources || before.expires !== v.expires || before.tlp !== v.tlp) this.change('updated', p.key, p.text, before.id, v.sources, v.tlp);
    }
  }

  /** Bumps the effective list's version when this transaction changed it. */
  finish(): void {
    if (this.touched || this.changesLogged > 0) bumpEffectiveVersion(this.store, this.now);
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
      tlp: Math.max(...parts.map((a) => a.tlp)),
    };
  }

  private touch(key: string): void {
    if (this.dirty.has(key)) return;
    this.dirty.add(key);
    this.dirtyOrder.push(key);
  }

  private piecesOf(text: string): Prefix[] {
    const parsed = parsePrefix(text);
    if (!parsed.ok) return [];
    const { allowlist } = this;
    if (allowlist.size === 0) return [parsed.prefix];
    if (allowlist.covering(parsed.prefix)) return [];
    const holes = allowlist.inside(parsed.prefix);
    return holes.length === 0 ? [parsed.prefix] : subtractPrefixes(parsed.prefix, holes);
  }

  private change(op: 'added' | 'removed' | 'updated', key: string, prefix: string, pieceId: number, sources: string, tlp: number): void {
    this.log.run(op, key, prefix, this.now, pieceId, sources, tlp);
    this.changesLogged++;
  }
}
