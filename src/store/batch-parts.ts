import type { Store } from './open-store.js';

/**
 * The most JWS bytes one `batch_parts` row holds. SQLite copies a bound value, then copies it
 * again into the record it writes: storing a 24 MB JWS as one value raised a puller's peak RSS
 * by about 60 MB, in parts of 1 MiB by about 2 (test/bench, README "Benchmarks").
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
  return readBatchJwsBytes(store, publisher, seq)?.toString('latin1');
}

/**
 * The same as bytes, for serving: SQLite hands each part over as a blob, so no batch-sized
 * string is decoded here only to be encoded again on the way out (a 24 MB batch was served
 * in about 165 ms that way).
 */
export function readBatchJwsBytes(store: Store, publisher: string, seq: number): Buffer<ArrayBuffer> | undefined {
  return readBatchesJwsBytes(store, publisher, seq - 1, seq).get(seq);
}

/** The JWS bytes of every stored batch with after < seq ≤ last, by seq, in one query. */
export function readBatchesJwsBytes(store: Store, publisher: string, after: number, last: number): Map<number, Buffer<ArrayBuffer>> {
  // Prepared (audit-bench, pull-bench): every page of batches served.
  const rows = store
    .prepare('SELECT seq, CAST(text AS BLOB) FROM batch_parts WHERE publisher = ? AND seq > ? AND seq <= ? ORDER BY seq, part')
    .raw()
    .all(publisher, after, last) as [number, Buffer<ArrayBuffer>][];
  const parts = new Map<number, Buffer<ArrayBuffer>[]>();
  for (const [seq, part] of rows) {
    const list = parts.get(seq);
    if (list) list.push(part);
    else parts.set(seq, [part]);
  }
  return new Map([...parts].map(([seq, list]) => [seq, list.length === 1 ? list[0]! : Buffer.concat(list)]));
}
