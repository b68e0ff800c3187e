import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { batchJwsParts, batchPageSizes, PART_BYTES, readBatchJws, writeBatchParts } from '../../src/store/batch-parts.js';
import { lastBatchBytes } from '../../src/store/feed-store.js';
import { openStore, writeTransaction, type Store } from '../../src/store/open-store.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A page of batches with their JWS bytes, as the federation route serves it (sizes, then parts). */
function batchPage(...[store, publisher, after, count, bytes]: Parameters<typeof batchPageSizes>) {
  const page = batchPageSizes(store, publisher, after, count, bytes);
  return { next: page.next, batches: page.batches.map(({ seq, bytes }) => ({ seq, jws: Buffer.concat([...batchJwsParts(store, publisher, seq, bytes)]) })) };
}


/** A batch's JWS is stored in parts of at most 1 MiB (src/store/batch-parts.ts), in real SQLite files. */
const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** A JWS-like ASCII text whose every position is told apart from its neighbours'. */
const asciiOf = (length: number) => Array.from({ length }, (_, i) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'[(i * 7 + (i >> 10)) % 65]).join('');

function addBatch(store: Store, seq: number, jws: string | Uint8Array): void {
  writeTransaction(store, () => {
    const bytes = writeBatchParts(store, 'cn-isc', seq, jws);
    store
      .prepare(`INSERT INTO batches (publisher, seq, leaf_hash, jws_bytes, kid, issued_at, entry_count, refused_count, received_at) VALUES ('cn-isc', ?, ?, ?, 'k', 0, 0, 0, 0)`)
      .run(seq, `leaf-${seq}`, bytes);
    store.prepare(`INSERT INTO feeds (publisher, size, head, updated_at) VALUES ('cn-isc', ?, ?, 0) ON CONFLICT DO UPDATE SET size = excluded.size`).run(seq, `leaf-${seq}`);
  });
}

describe('batch parts', () => {
  it('stores a JWS given as text or as bytes in 1 MiB parts and reads it back verbatim', () => {
    const store = openStore(join(tmp.path, 'parts.db'));
    try {
      const large = asciiOf(2 * PART_BYTES + 12_345);
      const asBytes = asciiOf(PART_BYTES); // exactly one part
      const bytes = Buffer.from(`..${asBytes}`, 'latin1').subarray(2); // a view at an offset, as the reader thread hands over
      addBatch(store, 1, large);
      addBatch(store, 2, bytes);
      addBatch(store, 3, 'e30.e30.c2ln');
      const parts = store.prepare(`SELECT seq, part, octet_length(text) AS n FROM batch_parts ORDER BY seq, part`).all();
      expect(parts).toEqual([
        { seq: 1, part: 0, n: PART_BYTES },
        { seq: 1, part: 1, n: PART_BYTES },
        { seq: 1, part: 2, n: 12_345 },
        { seq: 2, part: 0, n: PART_BYTES },
        { seq: 3, part: 0, n: 12 },
      ]);
      expect(store.prepare(`SELECT typeof(text) FROM batch_parts GROUP BY 1`).pluck().all()).toEqual(['text']);
      expect(readBatchJws(store, 'cn-isc', 1)).toBe(large);
      expect(readBatchJws(store, 'cn-isc', 2)).toBe(asBytes);
      expect(readBatchJws(store, 'cn-isc', 4)).toBeUndefined();
      expect(lastBatchBytes(store, 'cn-isc')).toBe(12);

      // A page's byte cap counts whole batches from jws_bytes, and always holds one batch.
      expect(batchPage(store, 'cn-isc', 0, 10, PART_BYTES).batches.map((b) => b.seq)).toEqual([1]);
      const page = batchPage(store, 'cn-isc', 1, 10, PART_BYTES + 12);
      expect(page.next).toBeNull();
      expect(page.batches.map((b) => [b.seq, b.jws.toString('latin1')])).toEqual([
        [2, asBytes],
        [3, 'e30.e30.c2ln'],
      ]);
      expect(batchPage(store, 'cn-isc', 1, 1, 100 * PART_BYTES).next).toBe(2);
    } finally {
      store.close();
    }
  });

  it('migrates a store whose batches held their JWS in one column', () => {
    // The migrations as they stood before parts (0000–0007), applied to a fresh file.
    const all = fileURLToPath(new URL('../../migrations', import.meta.url));
    const before = join(tmp.path, 'migrations-0007');
    cpSync(all, before, { recursive: true });
    const journal = JSON.parse(readFileSync(join(before, 'meta', '_journal.json'), 'utf8')) as { entries: { idx: number }[] };
    journal.entries = journal.entries.filter((e) => e.idx <= 7);
    writeFileSync(join(before, 'meta', '_journal.json'), JSON.stringify(journal));
    const path = join(tmp.path, 'old.db');
    const old = new Database(path);
    migrate(drizzle(old), { migrationsFolder: before });
    const insert = old.prepare(
      `INSERT INTO batches (publisher, seq, leaf_hash, jws, kid, issued_at, entry_count, refused_count, received_at) VALUES ('cn-isc', ?, ?, ?, 'k', 0, 0, 0, 0)`,
    );
    const large = asciiOf(PART_BYTES + 1);
    insert.run(1, 'leaf-1', 'e30.e30.c2ln');
    insert.run(2, 'leaf-2', large);
    old.prepare(`INSERT INTO feeds (publisher, size, head, updated_at) VALUES ('cn-isc', 2, 'leaf-2', 0)`).run();
    old.close();

    const store = openStore(path);
    try {
      const columns = store.prepare(`SELECT name FROM pragma_table_info('batches')`).pluck().all();
      expect(columns).not.toContain('jws');
      expect(store.prepare('SELECT seq, jws_bytes AS bytes FROM batches ORDER BY seq').all()).toEqual([
        { seq: 1, bytes: 12 },
        { seq: 2, bytes: PART_BYTES + 1 },
      ]);
      expect(readBatchJws(store, 'cn-isc', 1)).toBe('e30.e30.c2ln');
      expect(readBatchJws(store, 'cn-isc', 2)).toBe(large);
      // The next batch stored after the migration goes in parts as usual.
      addBatch(store, 3, large);
      expect(store.prepare('SELECT count(*) FROM batch_parts WHERE seq = 3').pluck().get()).toBe(2);
      expect(batchPage(store, 'cn-isc', 0, 10, 100 * PART_BYTES).batches.map((b) => b.jws.toString('latin1'))).toEqual(['e30.e30.c2ln', large, large]);
    } finally {
      store.close();
    }
  });
});
