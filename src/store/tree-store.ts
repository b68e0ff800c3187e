import { nodesForAppend, rootHash, type SubtreeReader } from '../core/merkle.js';
import type { Store } from './open-store.js';

/** Reads a feed's complete subtrees from `tree_nodes`. */
export function subtreeReader(store: Store, publisher: string): SubtreeReader {
  const get = store.prepare('SELECT hash FROM tree_nodes WHERE publisher = ? AND level = ? AND idx = ?').pluck();
  return (level, index) => {
    const hash = get.get(publisher, level, index) as Buffer | undefined;
    if (!hash) throw new RangeError(`${publisher} has no tree node at level ${level} index ${index}`);
    return hash;
  };
}

/** Appends leaf `index` (batch seq − 1); call inside the transaction that stores the batch. */
export function appendLeaf(store: Store, publisher: string, index: number, leaf: Buffer): void {
  const insert = store.prepare('INSERT INTO tree_nodes (publisher, level, idx, hash) VALUES (?, ?, ?, ?)');
  for (const [level, idx, hash] of nodesForAppend(subtreeReader(store, publisher), index, leaf)) insert.run(publisher, level, idx, hash);
}

/** The number of leaves of a feed's tree (its feed size). */
export function treeSize(store: Store, publisher: string): number {
  return (store.prepare('SELECT count(*) FROM tree_nodes WHERE publisher = ? AND level = 0').pluck().get(publisher) as number) ?? 0;
}

export function treeRoot(store: Store, publisher: string, size: number): Buffer {
  return rootHash(subtreeReader(store, publisher), size);
}
