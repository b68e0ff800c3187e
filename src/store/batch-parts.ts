import type { Store } from './open-store.js';
import { feedHead } from './feed-store.js';

/**
 * The most JWS bytes one `batch_parts` row holds. SQLite copies a bound value, then copies it
 * again into the record it writes: storing a 24 MB JWS as one value raised a puller's peak RSS
 * by about 60 MB, in parts of 1 MiB by about 2 (test/bench/README.md).
 */
export const PART_BYTES = 1 << 20;

/**
 * Writes a batch's compact JWS as its parts, in order; returns its length in bytes. A JWS is
 * ASCII (base64url and dots), so a string and its bytes split at the same offsets. Runs inside
 * the caller's transaction (store/apply-batch.ts).
 */
export function writeBatchParts(store: Store, publisher: string, seq: number, jws: string | Uint8Array): number {
  // Prepared (pull-bench): every stored batch.
  const insert = store.prepare('INSERT INTO batch_parts (publisher, seq, part, text) VALUES (?, ?, ?, CAST(? AS TEXT))');
  for (let start = 0, part = 0; start < jws.length || part === 0; start += PART_BYTES, part++) {
    const end = Math.min(start + PART_BYTES, jws.length);
    // Bytes go in as a blob view (no copy on this side) and become TEXT in SQL.
    const value = typeof jws === 'string' ? jws.slice(start, end) : Buffer.from(jws.buffer, jws.byteOffset + start, end - start);
    insert.run(publisher, seq, part, value);
  }
  return jws.length;
}

/** A stored batch's compact JWS, verbatim; undefined when the store does not hold that batch. */
export function readBatchJws(store: Store, publisher: string, seq: number): string | undefined {
  const bytes = store.prepare('SELECT jws_bytes FROM batches WHERE publisher = ? AND seq = ?').pluck().get(publisher, seq) as number | undefined;
  return bytes === undefined ? undefined : Buffer.concat([...batchJwsParts(store, publisher, seq, bytes)]).toString('latin1');
}

/**
 * A page of stored batches, by seq and JWS length only: after `after`, ascending, at most
 * `maxCount`, whole batches up to `maxBytes` but always the first (PROTOCOL "Federation
 * endpoints"). `next` is the seq to pass as `after` for the next page, null at the head. The
 * page is chosen without reading a byte of JWS: the route streams it (batchJwsParts).
 */
/** A stored batch's size with what decides who may download it (core/batch-audience.ts). */
export interface StoredBatchSize {
  readonly seq: number;
  readonly bytes: number;
  /** The batch's label (core/tlp.ts rank). */
  readonly tlp: number;
  /** A sealed batch's recipients, space-separated; null for an open batch. */
  readonly recipients: string | null;
}

/** One stored batch's size, label and recipients; undefined when this node does not hold it. */
export function storedBatchSize(store: Store, publisher: string, seq: number): StoredBatchSize | undefined {
  // Prepared: every single batch served.
  return store
    .prepare('SELECT seq, jws_bytes AS bytes, tlp, recipients FROM batches WHERE publisher = ? AND seq = ?')
    .get(publisher, seq) as StoredBatchSize | undefined;
}

export function batchPageSizes(
  store: Store,
  publisher: string,
  after: number,
  maxCount: number,
  maxBytes: number,
): { batches: StoredBatchSize[]; next: number | null } {
  // Prepared (audit-bench, pull-bench): every page of batches served.
  const sizes = store
    .prepare('SELECT seq, jws_bytes AS bytes, tlp, recipients FROM batches WHERE publisher = ? AND seq > ? ORDER BY seq LIMIT ?')
    .all(publisher, after, maxCount) as StoredBatchSize[];
  let count = 0;
  let bytes = 0;
  while (count < sizes.length && (count === 0 || bytes + sizes[count]!.bytes <= maxBytes)) bytes += sizes[count++]!.bytes;
  const batches = sizes.slice(0, count);
  const last = batches.at(-1)?.seq ?? after;
  return { batches, next: last < feedHead(store, publisher).size ? last : null };
}

/**
 * A stored batch's JWS bytes one part (≤ 1 MiB) at a time, for a response that writes each as
 * its reader takes it. Each part is its own query on the caller's connection and no transaction
 * is held between them: a stored batch never changes, so there is no snapshot to keep while a
 * slow reader reads. Throws when the parts do not add up to `bytes` (the batch's `jws_bytes`),
 * so a response never ends short without failing.
 */
export function* batchJwsParts(store: Store, publisher: string, seq: number, bytes: number): Generator<Buffer> {
  let read = 0;
  for (let part = 0; read < bytes || part === 0; part++) {
    // Prepared: every part of every batch served.
    const value = store
      .prepare('SELECT CAST(text AS BLOB) FROM batch_parts WHERE publisher = ? AND seq = ? AND part = ?')
      .pluck()
      .get(publisher, seq, part) as Buffer | undefined;
    if (value === undefined) break;
    read += value.length;
    yield value;
  }
  if (read !== bytes) throw new Error(`batch ${seq} of ${publisher}: stored parts hold ${read} bytes, jws_bytes says ${bytes}`);
}

/** A stored batch's JWS length in bytes (`jws_bytes`); call only for a batch known to be stored. */
export function batchJwsBytes(store: Store, publisher: string, seq: number): number {
  // Prepared: every single batch served.
  return store.prepare('SELECT jws_bytes FROM batches WHERE publisher = ? AND seq = ?').pluck().get(publisher, seq) as number;
}
