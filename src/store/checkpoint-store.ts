import type { Store } from './open-store.js';
import { checkpoints } from './schema.js';

export interface StoredCheckpoint {
  readonly publisher: string;
  readonly size: number;
  /** Root hash, base64 as in the note. */
  readonly root: string;
  readonly note: string;
  readonly receivedAt: number;
}

/** Stores a checkpoint (cold: one per own batch, one per partner's pull). */
export function saveCheckpoint(store: Store, c: StoredCheckpoint): void {
  store.orm.insert(checkpoints).values({ publisher: c.publisher, size: c.size, root: c.root, note: c.note, receivedAt: c.receivedAt }).run();
}

/** The newest (largest) checkpoint held for a feed. */
export function latestCheckpoint(store: Store, publisher: string): StoredCheckpoint | undefined {
  // Prepared (proof-bench): every inclusion and consistency proof request reads it.
  return store
    .prepare('SELECT publisher, size, root, note, received_at AS receivedAt FROM checkpoints WHERE publisher = ? ORDER BY size DESC, id DESC LIMIT 1')
    .get(publisher) as StoredCheckpoint | undefined;
}
