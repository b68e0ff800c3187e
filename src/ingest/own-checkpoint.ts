import type { KeyObject } from 'node:crypto';
import { formatCheckpoint } from '../core/checkpoint.js';
import { signerFor, signNote } from '../core/signed-note.js';
import { latestCheckpoint, saveCheckpoint } from '../store/checkpoint-store.js';
import type { Store } from '../store/open-store.js';
import { treeRoot, treeSize } from '../store/tree-store.js';

/**
 * Signs a C2SP checkpoint of this node's own feed at its current size, unless one exists:
 * called in the transaction that stores each own batch, so no batch is served before a signed
 * checkpoint covers it (and at start-up, to repair a store from before checkpoints).
 */
export function signOwnCheckpoint(store: Store, own: { id: string; origin: string; key: KeyObject }, now: number): void {
  const size = treeSize(store, own.id);
  if (size === 0 || (latestCheckpoint(store, own.id)?.size ?? 0) >= size) return;
  const root = treeRoot(store, own.id, size);
  const note = signNote(formatCheckpoint({ origin: own.origin, size, root, extensions: [] }), [signerFor(own.origin, own.key)]);
  saveCheckpoint(store, { publisher: own.id, size, root: root.toString('base64'), note, receivedAt: now });
}
