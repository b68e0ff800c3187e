import type { DecisionPiece } from '../core/crowdsec-decision.js';
import { netDecisions, type DecisionChange } from '../core/net-decisions.js';
import { effectiveRowByKey, effectiveRows, lastChangeId, prunedThrough, type EffectiveRow } from './effective-query.js';
import { writeTransaction, type Store } from './open-store.js';
import { openSnapshotReader } from './snapshot-reader.js';

/**
 * The CrowdSec decision stream's memory. A bouncer polls without a cursor, so the node keeps one
 * per subscriber key (`decision_streams.cursor`: the change-log id it has been sent up to). The
 * ids of deleted decisions come from the change log itself, which records each change's piece
 * id: no per-key copy of what was sent is needed, whatever the number of keys.
 */

export interface ListedDecision extends DecisionPiece {
  readonly sources: string;
  readonly expires: number;
}

function setCursor(store: Store, subscriberId: number, cursor: number, now: number): void {
  // Prepared, as every statement here: each poll of each bouncer (no benchmark of its own).
  store
    .prepare(
      `INSERT INTO decision_streams (subscriber_id, cursor, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (subscriber_id) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`,
    )
    .run(subscriberId, cursor, now);
}

/**
 * (Re)starts a key's stream: every listed piece, read from one snapshot. The caller iterates
 * `pieces`, calls `complete` once it has sent them all, which sets the key's cursor to that
 * snapshot's last change, and then `close`. A stream cut short (its reader stalled and was cut,
 * or went away) moves no cursor: the key's next poll starts again instead of getting only the
 * changes after a list it never received whole.
 */
export function openDecisionSnapshot(
  store: Store,
  subscriberId: number,
  now: number,
): { pieces: Iterable<EffectiveRow>; complete: () => void; close: () => void } {
  const { store: reader, close } = openSnapshotReader(store);
  let cursor: number;
  try {
    cursor = lastChangeId(reader);
  } catch (err) {
    close();
    throw err;
  }
  return { pieces: effectiveRows(reader), complete: () => setCursor(store, subscriberId, cursor, now), close };
}

/**
 * What changed for this key since its last poll, net, and its cursor moved past it, in one
 * transaction. Undefined when the stream must start again: the key never started one, or the
 * changes after its cursor have been pruned (it polled less often than the log is kept).
 */
export function decisionChangesSince(
  store: Store,
  subscriberId: number,
  now: number,
  /** Which labels (core/tlp.ts ranks) the key may see: others' pieces are deleted, not listed. */
  sees: (tlp: number | null) => boolean = () => true,
): { listed: (ListedDecision & { readonly tlp: number })[]; deleted: DecisionPiece[] } | undefined {
  return writeTransaction(store, () => {
    const cursor = store.prepare('SELECT cursor FROM decision_streams WHERE subscriber_id = ?').pluck().get(subscriberId) as number | undefined;
    if (cursor === undefined || cursor < prunedThrough(store)) return undefined;
    const changes = store
      .prepare('SELECT op, key, prefix, piece_id AS pieceId, sources, tlp FROM changes WHERE id > ? ORDER BY id')
      .iterate(cursor) as IterableIterator<DecisionChange>;
    const { listed, deleted } = netDecisions(changes, sees);
    const rows: (ListedDecision & { readonly tlp: number })[] = [];
    for (const { key, pieceId } of listed) {
      const row = effectiveRowByKey(store, key);
      // Its label now, not at the change: a piece the key may no longer see is deleted.
      if (row && row.id === pieceId && sees(row.tlp)) rows.push(row);
      else if (row && row.id === pieceId) deleted.push({ id: row.id, prefix: row.prefix, sources: row.sources });
    }
    setCursor(store, subscriberId, lastChangeId(store), now);
    return { listed: rows, deleted };
  });
}
