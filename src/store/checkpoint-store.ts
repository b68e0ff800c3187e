import type { Store } from './open-store.js';

export interface StoredCheckpoint {
  readonly publisher: string;
  readonly size: number;
  /** Root hash, base64 as in the note. */
  readonly root: string;
  readonly note: string;
  readonly receivedAt: number;
}

const COLUMNS = 'publisher, size, root, note, received_at AS receivedAt';

export function saveCheckpoint(store: Store, c: StoredCheckpoint): void {
  store.prepare('INSERT INTO checkpoints (publisher, size, root, note, received_at) VALUES (?, ?, ?, ?, ?)').run(c.publisher, c.size, c.root, c.note, c.receivedAt);
}

/** The newest (largest) checkpoint held for a feed. */
export function latestCheckpoint(store: Store, publisher: string): StoredCheckpoint | undefined {
  return store.prepare(`SELECT ${COLUMNS} FROM checkpoints WHERE publisher = ? ORDER BY size DESC, id DESC LIMIT 1`).get(publisher) as
    | StoredCheckpoint
    | undefined;
}

export function checkpointOfSize(store: Store, publisher: string, size: number): StoredCheckpoint | undefined {
  return store.prepare(`SELECT ${COLUMNS} FROM checkpoints WHERE publisher = ? AND size = ? ORDER BY id DESC LIMIT 1`).get(publisher, size) as
    | StoredCheckpoint
    | undefined;
}
