import Database from 'better-sqlite3';

/**
 * A PASSIVE checkpoint of the store's WAL on a connection of the caller's own, opened for it and
 * closed after: the feed-reader thread runs it after each pulled batch (ingest/reader-worker.ts,
 * store/open-store.ts withoutAutocheckpoint). PASSIVE never waits for a lock and never blocks
 * another connection's writes; opening a connection costs about a millisecond, and none is left
 * open when the thread is terminated. Throws what SQLite throws. Imports only better-sqlite3, so
 * the reader thread does not load drizzle and the migrations for it.
 */
export function checkpointWal(path: string): void {
  const db = new Database(path, { fileMustExist: true });
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } finally {
    db.close();
  }
}
