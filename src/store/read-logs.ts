import type { ListingFacts } from '../core/lookup-index.js';
import { prunedThrough } from './effective-query.js';
import type { Store } from './open-store.js';
import { openSnapshotReader } from './snapshot-reader.js';
import { lastPendingId, pendingPrunedThrough } from './projector.js';

/*
 * What the read side's in-memory models (read/change-follower.ts) need from the store: one
 * consistent snapshot to start from, then three logs followed by id — `changes` (the effective
 * list), `pending_keys` (the listings each applied batch touched) and `refusals` (append-only).
 * Hot path for the lookup and DNSBL benchmarks (lookup-bench, dnsbl-bench): prepared statements.
 */

/** Where each log stands: the snapshot (or a catch-up) reflects every row up to these ids. */
export interface LogPositions {
  readonly changes: number;
  readonly pending: number;
  readonly refusals: number;
}

const LISTING_COLUMNS = `publisher, op, first_seen AS firstSeen, last_seen AS lastSeen, reports, expires, category, reason, seq, tlp`;

/** The newest id of each log; pruning can empty a log, so the last pruned id counts too. */
export function logPositions(store: Store): LogPositions {
  const changes = (store.prepare('SELECT max(id) FROM changes').pluck().get() as number | null) ?? 0;
  return {
    changes: Math.max(changes, prunedThrough(store)),
    pending: lastPendingId(store),
    refusals: (store.prepare('SELECT max(id) FROM refusals').pluck().get() as number | null) ?? 0,
  };
}

/** True when a log was pruned past `positions`: only a fresh snapshot is then complete. */
export function prunedPast(store: Store, positions: LogPositions): boolean {
  return positions.changes < prunedThrough(store) || positions.pending < pendingPrunedThrough(store);
}

/** Every listed piece of the effective list, streamed. */
function effectivePieces(store: Store): IterableIterator<[key: string, sources: string, expires: number, tlp: number]> {
  return store.prepare('SELECT key, sources, expires, tlp FROM effective').raw().iterate() as IterableIterator<[string, string, number, number]>;
}

/** Every stored listing, in key order (then publisher), streamed. */
function allListings(store: Store): IterableIterator<ListingFacts & { key: string }> {
  return store.prepare(`SELECT key, ${LISTING_COLUMNS} FROM listings ORDER BY key, publisher`).iterate() as IterableIterator<ListingFacts & { key: string }>;
}

/** Every prefix that has refusals on record, streamed. */
function refusedPrefixes(store: Store): IterableIterator<string> {
  return store.prepare('SELECT DISTINCT prefix FROM refusals WHERE prefix IS NOT NULL').pluck().iterate() as IterableIterator<string>;
}

/** One prefix's current listings, by publisher. */
export function listingsOf(store: Store, key: string): ListingFacts[] {
  return store.prepare(`SELECT ${LISTING_COLUMNS} FROM listings WHERE key = ? ORDER BY publisher`).all(key) as ListingFacts[];
}

/** `pending_keys` rows after `afterId`: each holds the newline-separated keys one batch touched. */
export function pendingKeysAfter(store: Store, afterId: number, limit: number): [id: number, keys: string][] {
  return store.prepare('SELECT id, keys FROM pending_keys WHERE id > ? ORDER BY id LIMIT ?').raw().all(afterId, limit) as [number, string][];
}

export interface PieceChange {
  readonly id: number;
  readonly key: string;
  /** The piece's sources and expiry now; null when it is no longer listed (a later change removed it). */
  readonly sources: string | null;
  readonly expires: number | null;
  /** Its label (core/tlp.ts rank) now; null when it is no longer listed. */
  readonly tlp: number | null;
}

/**
 * The next changes after `afterId`, each joined with the piece's current row: applying them in
 * order leaves a copy that equals `effective` as of the last one, even when a piece was added and
 * removed again between two reads.
 */
export function changesAfterWithPieces(store: Store, afterId: number, limit: number): PieceChange[] {
  return store
    .prepare(
      `SELECT c.id, c.key, e.sources, e.expires, e.tlp FROM changes c LEFT JOIN effective e ON e.key = c.key
       WHERE c.id > ? ORDER BY c.id LIMIT ?`,
    )
    .all(afterId, limit) as PieceChange[];
}

/** Refusals after `afterId`, with their prefix (null for a refused line that named none). */
export function refusalsAfter(store: Store, afterId: number, limit: number): [id: number, prefix: string | null][] {
  return store.prepare('SELECT id, prefix FROM refusals WHERE id > ? ORDER BY id LIMIT ?').raw().all(afterId, limit) as [number, string | null][];
}

/**
 * One consistent view of the store for building read models, on a read-only connection of its
 * own, so that it may be read a page at a time across turns of the event loop while the main
 * connection goes on writing (WAL keeps the view as of its first read). The caller closes it.
 */
export interface ReadSnapshot {
  readonly positions: LogPositions;
  pieces(): IterableIterator<[key: string, sources: string, expires: number, tlp: number]>;
  listings(): IterableIterator<ListingFacts & { key: string }>;
  refusedPrefixes(): IterableIterator<string>;
  close(): void;
}

export function openReadSnapshot(store: Store): ReadSnapshot {
  const { store: reader, close } = openSnapshotReader(store);
  try {
    return {
      positions: logPositions(reader),
      pieces: () => effectivePieces(reader),
      listings: () => allListings(reader),
      refusedPrefixes: () => refusedPrefixes(reader),
      close,
    };
  } catch (err) {
    close();
    throw err;
  }
}
