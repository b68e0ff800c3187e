import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import type { Store } from './open-store.js';
import * as schema from './schema.js';

/**
 * The store opened read-only by path, for a thread of its own (the blocklist export threads,
 * src/serve/blocklist-threads.ts): no migration, no write, and `openReader` gives each export
 * its own connection and so its own snapshot, as on the main thread. The schema is the one the
 * serving process migrated before it started the thread.
 */
export function openReadOnlyStore(path: string): Store {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 15000');
  const statements = new Map<string, Database.Statement>();
  return {
    db,
    orm: drizzle(db, { schema }),
    prepare: (sql) => {
      let statement = statements.get(sql);
      if (!statement) statements.set(sql, (statement = db.prepare(sql)));
      return statement;
    },
    openReader: () => openReadOnlyStore(path),
    close: () => {
      if (db.open) db.close();
    },
  };
}
