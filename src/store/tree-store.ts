import { and, asc, eq, gt, lte } from 'drizzle-orm';
import { nodesForAppend, rootHash, type SubtreeReader } from '../core/merkle.js';
import type { Store } from './open-store.js';
import { batches, feeds } from './schema.js';

/** Reads a feed's complete subtrees from `tree_nodes`. */
export function subtreeReader(store: Store, publisher: string): SubtreeReader {
  // Prepared (proof-bench): log2(size) reads per proof; appending a leaf reads some too (pull-bench).
  const get = store.prepare('SELECT hash FROM tree_nodes WHERE publisher = ? AND level = ? AND idx = ?').pluck();
  return (level, index) => {
    const hash = get.get(publisher, level, index) as Buffer | undefined;
    if (!hash) throw new RangeError(`${publisher} has no tree node at level ${level} index ${index}`);
    return hash;
  };
}

/** Appends leaf `index` (batch seq − 1); call inside the transaction that stores the batch. */
export function appendLeaf(store: Store, publisher: string, index: number, leaf: Buffer): void {
  if (index > 0 && !hasLeaf(store, publisher, index - 1)) backfillTree(store, publisher, index);
  // Prepared (pull-bench): in the transaction of every stored batch.
  const insert = store.prepare('INSERT INTO tree_nodes (publisher, level, idx, hash) VALUES (?, ?, ?, ?)');
  for (const [level, idx, hash] of nodesForAppend(subtreeReader(store, publisher), index, leaf)) insert.run(publisher, level, idx, hash);
}

function hasLeaf(store: Store, publisher: string, index: number): boolean {
  // Prepared (pull-bench): in the transaction of every stored batch.
  return store.prepare('SELECT 1 FROM tree_nodes WHERE publisher = ? AND level = 0 AND idx = ?').get(publisher, index) !== undefined;
}

/**
 * Builds the missing part of a feed's tree, leaves [first missing, upTo), from the leaf hashes
 * stored with its batches: stores written before trees existed get theirs on first use.
 */
function backfillTree(store: Store, publisher: string, upTo: number): void {
  let next = 0;
  while (next < upTo && hasLeaf(store, publisher, next)) next++;
  const leaves = store.orm
    .select({ seq: batches.seq, leafHash: batches.leafHash })
    .from(batches)
    .where(and(eq(batches.publisher, publisher), gt(batches.seq, next), lte(batches.seq, upTo)))
    .orderBy(asc(batches.seq))
    .all();
  for (const row of leaves) appendLeaf(store, publisher, row.seq - 1, Buffer.from(row.leafHash, 'base64url'));
}

/** Gives every feed whose tree lags its batches (an older store) its full tree. */
export function backfillTrees(store: Store): void {
  for (const { publisher, size } of store.orm.select({ publisher: feeds.publisher, size: feeds.size }).from(feeds).where(gt(feeds.size, 0)).all()) {
    if (!hasLeaf(store, publisher, size - 1)) store.db.transaction(() => backfillTree(store, publisher, size))();
  }
}

/** The number of leaves of a feed's tree: its feed size, as both grow in one transaction. */
export function treeSize(store: Store, publisher: string): number {
  // Prepared (proof-bench): every proof request.
  return (store.prepare('SELECT size FROM feeds WHERE publisher = ?').pluck().get(publisher) as number | undefined) ?? 0;
}

export function treeRoot(store: Store, publisher: string, size: number): Buffer {
  return rootHash(subtreeReader(store, publisher), size);
}
