import { prunedThrough } from './effective-query.js';
import type { Store } from './open-store.js';
import { openSnapshotReader } from './snapshot-reader.js';

/*
 * What a zone transfer (serve/dnsbl/zone-transfer.ts) reads: the effective list in key order and
 * the change log after a serial, on a read-only connection of its own inside one read
 * transaction (store/snapshot-reader.ts), so that a transfer streamed across many turns of the
 * event loop shows one version of the zone while the node goes on writing.
 */

/** A piece as a zone needs it: key, sources, and label rank (null: green). */
export type ZonePieceRow = [key: string, sources: string, tlp: number | null];

/** A change-log row after the client's serial. */
export interface ZoneChangeRow {
  readonly id: number;
  readonly op: 'added' | 'removed' | 'updated';
  readonly key: string;
  readonly sources: string | null;
  readonly tlp: number | null;
}

export interface ZoneSnapshot {
  /** The change-log position this view reflects: the zone's serial. */
  readonly position: number;
  /** Changes up to this id are pruned: an older serial cannot be answered incrementally. */
  readonly prunedThrough: number;
  /** Every listed piece in key order (family, start, shortest first), streamed. */
  pieces(): IterableIterator<ZonePieceRow>;
  /** The pieces whose keys lie between `low` and `high` (inclusive), in key order. */
  piecesBetween(low: string, high: string): ZonePieceRow[];
  /** Current pieces with any of these keys. */
  piecesWithKeys(keys: readonly string[]): ZonePieceRow[];
  /** Changes after `afterId`, in order. */
  changesAfter(afterId: number): ZoneChangeRow[];
  /** The last change at or before `throughId` of each of these keys (for a piece's state then). */
  lastChangesThrough(throughId: number, keys: readonly string[]): ZoneChangeRow[];
  close(): void;
}

export function openZoneSnapshot(store: Store): ZoneSnapshot {
  const { store: reader, close } = openSnapshotReader(store);
  try {
    const pruned = prunedThrough(reader);
    const position = Math.max((reader.prepare('SELECT max(id) FROM changes').pluck().get() as number | null) ?? 0, pruned);
    const between = reader.prepare('SELECT key, sources, tlp FROM effective WHERE key BETWEEN ? AND ? ORDER BY key').raw();
    return {
      position,
      prunedThrough: pruned,
      pieces: () => reader.prepare('SELECT key, sources, tlp FROM effective ORDER BY key').raw().iterate() as IterableIterator<ZonePieceRow>,
      piecesBetween: (low, high) => between.all(low, high) as ZonePieceRow[],
      piecesWithKeys: (keys) =>
        keys.length === 0 ? [] : (reader.prepare('SELECT key, sources, tlp FROM effective WHERE key IN (SELECT value FROM json_each(?)) ORDER BY key').raw().all(JSON.stringify(keys)) as ZonePieceRow[]),
      changesAfter: (afterId) =>
        reader.prepare('SELECT id, op, key, sources, tlp FROM changes WHERE id > ? AND id <= ? ORDER BY id').all(afterId, position) as ZoneChangeRow[],
      lastChangesThrough: (throughId, keys) =>
        keys.length === 0
          ? []
          : (reader
              .prepare(
                `SELECT id, op, key, sources, tlp FROM changes WHERE id IN (
                   SELECT max(id) FROM changes WHERE id <= ? AND key IN (SELECT value FROM json_each(?)) GROUP BY key)`,
              )
              .all(throughId, JSON.stringify(keys)) as ZoneChangeRow[]),
      close,
    };
  } catch (err) {
    close();
    throw err;
  }
}
