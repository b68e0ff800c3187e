import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { fileURLToPath } from 'node:url';
import * as schema from './schema.js';

export interface Store {
  /** The raw connection, for prepared statements on hot paths. */
  readonly db: Database.Database;
  /** The same connection through drizzle, for everything else. */
  readonly orm: BetterSQLite3Database<typeof schema>;
  /** A prepared statement, compiled once per connection and reused. */
  prepare(sql: string): Database.Statement;
  /**
   * A separate read-only connection for a long streaming read: while a statement iterates, its
   * connection can run no write, so streams must not hold the main one. WAL gives the reader a
   * consistent snapshot. The caller closes it.
   */
  openReader(): Store;
  close(): void;
}

const MIGRATIONS = fileURLToPath(new URL('../../migrations', import.meta.url));

/**
 * Opens (creating if needed) the node's SQLite store and brings its schema up to date. WAL lets
 * CLI commands read and write while `serve` runs; synchronous=FULL makes every committed batch
 * survive a power cut, not only a process crash; busy_timeout makes a second writer wait for
 * the first instead of failing.
 */
export function openStore(path: string): Store {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 15000');
  db.pragma('foreign_keys = ON');
  const store = wrap(db);
  migrate(store.orm, { migrationsFolder: MIGRATIONS });
  return store;
}

function wrap(db: Database.Database): Store {
  const orm = drizzle(db, { schema });
  const statements = new Map<string, Database.Statement>();
  return {
    db,
    orm,
    prepare: (sql) => {
      let statement = statements.get(sql);
      if (!statement) statements.set(sql, (statement = db.prepare(sql)));
      return statement;
    },
    openReader: () => openReadOnlyStore(db.name),
    close: () => {
      if (db.open) db.close();
    },
  };
}

/**
 * The store opened read-only by path: no migration, no write. For a connection of its own
 * (`openReader`) and for a thread of its own (the blocklist export threads,
 * serve/blocklist-threads.ts), whose schema the serving process migrated before it started them.
 */
export function openReadOnlyStore(path: string): Store {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 15000');
  return wrap(db);
}

/**
 * Runs `fn` in a write transaction taken at BEGIN (IMMEDIATE), so that what it reads cannot be
 * changed by another process before it writes: the check-then-append of a feed head relies on it.
 */
export function writeTransaction<T>(store: Store, fn: () => T): T {
  return store.db.transaction(fn).immediate();
}

/**
 * WAL pages after which a node's own connection checkpoints in a commit (SQLite's default is
 * 1,000, 4 MB). A node has its feed-reader thread checkpoint after every pulled batch
 * (ingest/reader-worker.ts), so this is a backstop: at 1,000 the small commits that end a pull
 * (its report, its lease) met the WAL a 24 MB batch had just left and checkpointed it
 * themselves, on the main thread, racing the reader thread.
 */
export const NODE_AUTOCHECKPOINT_PAGES = 16_384;

/**
 * SQLite's page cache, in KiB, for a one-shot CLI command (`spamx report`, `spamx publish`):
 * SQLite's own default, 2,000 KiB, not the 16 MB better-sqlite3 builds it with. A serving node
 * reads the same pages again and again; a command that reads the queue once and writes each
 * batch once does not, and the 14 MB were resident at its peak for nothing (no slower measured:
 * test/bench/README.md "Reports of 500,000 lines").
 */
export const ONE_SHOT_CACHE_KIB = 2000;

/**
 * Opens the store as a node keeps it open: automatic checkpoints only past
 * NODE_AUTOCHECKPOINT_PAGES; `cacheKib` sets a page cache other than the default.
 */
export function openNodeStore(path: string, options: { readonly cacheKib?: number } = {}): Store {
  const store = openStore(path);
  store.db.pragma(`wal_autocheckpoint = ${NODE_AUTOCHECKPOINT_PAGES}`);
  if (options.cacheKib !== undefined) store.db.pragma(`cache_size = -${Math.floor(options.cacheKib)}`);
  return store;
}

/**
 * Runs `fn` with SQLite's automatic checkpoint off on this connection, so that its commit is
 * not followed, on this thread, by copying the WAL into the database. The pull path applies a
 * batch this way and has the feed-reader thread checkpoint on its own connection afterwards
 * (ingest/reader-worker.ts): for a 100,000-entry batch that is about 60 ms the storing thread
 * no longer spends with the node's HTTP server waiting. Any other commit checkpoints as before.
 */
export function withoutAutocheckpoint<T>(store: Store, fn: () => T): T {
  const pages = store.db.pragma('wal_autocheckpoint', { simple: true }) as number;
  store.db.pragma('wal_autocheckpoint = 0');
  try {
    return fn();
  } finally {
    store.db.pragma(`wal_autocheckpoint = ${pages}`);
  }
}
