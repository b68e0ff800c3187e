import type { DecisionPiece } from './crowdsec-decision.js';

/** One logged change of the effective list, with the piece (decision) id it concerned. */
export interface DecisionChange {
  readonly op: 'added' | 'removed' | 'updated';
  readonly key: string;
  readonly prefix: string;
  /** Null only in rows logged before piece ids were. */
  readonly pieceId: number | null;
  readonly sources: string | null;
  /** The piece's label at the change (core/tlp.ts rank); null or absent: green. */
  readonly tlp?: number | null;
}

export interface NetDecisions {
  /** Pieces the client holds that are gone or replaced: delete them by the id it was sent. */
  readonly deleted: DecisionPiece[];
  /** Keys of pieces to send as new: listed now and added, replaced or changed in the run. */
  readonly listed: { readonly key: string; readonly pieceId: number }[];
}

/**
 * The net effect of a run of changes for a client that holds decisions by id, as CrowdSec
 * bouncers do. Per prefix key, the first change says which piece the client held before the run
 * (none if it was `added`), the last which piece is listed after it (none if `removed`). A piece
 * removed and listed again within the run comes back under a new id: the old id is deleted and
 * the new one sent (bouncers apply deletions first). `updated` (new sources or expiry) sends the
 * same id again, with its new scenario and duration. Added then removed within the run: nothing.
 */
export function netDecisions(changes: Iterable<DecisionChange>, sees: (tlp: number | null) => boolean = () => true): NetDecisions {
  const first = new Map<string, DecisionChange>();
  const last = new Map<string, DecisionChange>();
  for (const c of changes) {
    if (!first.has(c.key)) first.set(c.key, c);
    last.set(c.key, c);
  }
  const deleted: DecisionPiece[] = [];
  const listed: { key: string; pieceId: number }[] = [];
  for (const [key, end] of last) {
    const start = first.get(key)!;
    const held = start.op === 'added' ? null : start.pieceId;
    // A piece whose label the client may not see (core/tlp.ts) is as good as removed: its id is
    // deleted, which a client that never held it ignores.
    const now = end.op === 'removed' || !sees(end.tlp ?? null) ? null : end.pieceId;
    if (held !== null && held !== now) deleted.push({ id: held, prefix: start.prefix, sources: start.sources });
    if (now !== null) listed.push({ key, pieceId: now });
  }
  return { deleted, listed };
}
