import type { Store } from './open-store.js';

/** One source's listing behind a served piece: who, when, how often, and the batch that said so. */
export interface PieceSource {
  readonly publisher: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly reports: number;
  readonly seq: number;
  readonly category: string | null;
}

/**
 * The active listings behind one served piece (`effective.key`), through `origin_pieces` (the
 * listed prefixes contributing it), latest seen first: the jurisdiction list names each source
 * centre and its batch. A source listing the piece through two prefixes (a /24 and a /16 that
 * contains it) appears once, with the listing it saw most recently.
 */
export function pieceSources(store: Store, pieceKey: string, now: number): PieceSource[] {
  // Prepared: once per piece of a jurisdiction list (thousands a call; no benchmark of its own).
  const rows = store
    .prepare(
      `SELECT l.publisher, l.first_seen AS firstSeen, l.last_seen AS lastSeen, l.reports, l.seq, l.category
       FROM origin_pieces o JOIN listings l ON l.key = o.origin
       WHERE o.piece = ? AND l.op = 'list' AND l.expires > ?
       ORDER BY l.last_seen DESC, l.publisher`,
    )
    .all(pieceKey, now) as PieceSource[];
  const seen = new Set<string>();
  return rows.filter((r) => !seen.has(r.publisher) && seen.add(r.publisher));
}
