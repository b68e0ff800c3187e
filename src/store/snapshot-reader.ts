import type { Store } from './open-store.js';

/**
 * One consistent view of the store for a long streaming read (the blocklist export, the change
 * stream's snapshot, the CrowdSec decision snapshot): a read-only connection of its own, since
 * while a statement iterates its connection can run no write and a stream must not hold the
 * main one, inside one read transaction that WAL keeps as of its first read.
 */
export interface SnapshotReader {
  readonly store: Store;
  /** Ends the read transaction and closes the connection; a second call does nothing. */
  close(): void;
}

export function openSnapshotReader(store: Store): SnapshotReader {
  const reader = store.openReader();
  try {
    reader.db.exec('BEGIN');
  } catch (err) {
    reader.close();
    throw err;
  }
  return {
    store: reader,
    close: () => {
      if (!reader.db.open) return;
      if (reader.db.inTransaction) reader.db.exec('COMMIT');
      reader.close();
    },
  };
}
