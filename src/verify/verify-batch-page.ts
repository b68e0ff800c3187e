import { BATCH_TYP } from '../core/batch.js';
import { leafHashOfInput, toBase64Url } from '../core/leaf-hash.js';
import { parseTimestamp } from '../core/time.js';
import { checkPayload, type BatchContext } from './verify-batch.js';
import { decodePayload, inspectCompactJws, verifySignatureInBackground } from './verify-jws.js';

/** What an auditor keeps of a verified batch: its place, leaf hash and a summary. */
export interface PageBatch {
  readonly seq: number;
  /** RFC 6962 §2.1 leaf hash, raw. */
  readonly leaf: Buffer;
  readonly issuedAt: number;
  readonly entryCount: number;
}

interface Pending {
  readonly signature?: Promise<void>;
  readonly batch?: PageBatch;
  readonly error?: unknown;
}

/**
 * A page of consecutive batches verified as `verifyBatch` verifies each one after the other,
 * for auditors reading whole feeds of small batches: every signature goes to libuv's thread pool
 * at once while this thread checks the payloads, each batch's expected `prev` being the leaf hash
 * of the one before, computed here. Verdicts are taken in seq order, each in verifyBatch's order
 * (the JWS checks, then the signature, then the payload), so the first bad batch and its reason
 * are the ones a one-by-one check would find. Returns the good batches before it and its error.
 */
export async function verifyBatchPage(jwsList: readonly string[], ctx: BatchContext): Promise<{ batches: PageBatch[]; failed?: { index: number; error: unknown } }> {
  let head = ctx.head;
  const pending = jwsList.map((jws): Pending => {
    try {
      const inspected = inspectCompactJws(jws, ctx.keys, BATCH_TYP);
      const signature = verifySignatureInBackground(inspected);
      signature.catch(() => undefined); // awaited below, in order, unless an earlier batch failed
      const leaf = leafHashOfInput(inspected.leafInput);
      try {
        const payload = checkPayload(decodePayload(inspected), { ...ctx, head }, inspected.key);
        return { signature, batch: { seq: payload.seq, leaf, issuedAt: parseTimestamp(payload.issuedAt)!, entryCount: payload.entries.length } };
      } catch (error) {
        return { signature, error };
      } finally {
        head = { size: head.size + 1, head: toBase64Url(leaf) };
      }
    } catch (error) {
      return { error };
    }
  });
  const batches: PageBatch[] = [];
  for (const [index, p] of pending.entries()) {
    try {
      await p.signature;
    } catch (error) {
      return { batches, failed: { index, error } };
    }
    if (!p.batch || !p.signature) return { batches, failed: { index, error: p.error } };
    batches.push(p.batch);
  }
  return { batches };
}
