import { BATCH_TYP, checkBatchShape, type BatchPayload } from '../core/batch.js';
import { SpamxError } from '../core/errors.js';
import { leafHash, leafHashInBackground, toBase64Url } from '../core/leaf-hash.js';
import { parseStrictJson } from '../core/strict-json.js';
import { checkKeyInForce } from '../core/key-history.js';
import { parseTimestamp } from '../core/time.js';
import type { PinnedKey, PinnedKeySet } from './pinned-keys.js';
import { decodePayload, inspectCompactJws, verifyCompactJws, verifySignatureInBackground } from './verify-jws.js';

/** Where a feed stands: how many batches are verified and the leaf hash of the last one. */
export interface FeedHead {
  readonly size: number;
  readonly head: string | null;
}

export interface VerifiedBatch {
  readonly publisher: string;
  readonly seq: number;
  readonly jws: string;
  readonly leafHash: string;
  readonly kid: string;
  readonly issuedAt: number;
  readonly entryCount: number;
  readonly payload: BatchPayload;
}

export interface BatchContext {
  readonly publisher: string;
  readonly keys: PinnedKeySet;
  readonly head: FeedHead;
}

/**
 * PROTOCOL "Validity and local policy", question 1, in a fixed order: the JWS (size, header,
 * algorithm, key, signature), then the payload (JSON without duplicate names, top-level shape),
 * then its place in the feed (publisher, seq, prev). Any failure rejects the batch whole.
 */
export function verifyBatch(jws: string, ctx: BatchContext): VerifiedBatch {
  const { kid, key, payloadText } = verifyCompactJws(jws, ctx.keys, BATCH_TYP);
  const payload = checkPayload(payloadText, ctx, key);
  return {
    publisher: payload.publisher,
    seq: payload.seq,
    jws,
    leafHash: toBase64Url(leafHash(jws)),
    kid,
    issuedAt: parseTimestamp(payload.issuedAt)!,
    entryCount: payload.entries.length,
    payload,
  };
}

/**
 * verifyBatch for large batches: the signature check and the leaf hash run on the thread pool
 * while this thread parses the payload and runs `speculate` on it (the pull path evaluates
 * entries against local policy there). The verdicts and their order are verifyBatch's: a bad
 * signature wins over anything found in the payload, and nothing is returned before the
 * signature is known good. The returned payload's `entries` is emptied: `speculate` has used
 * them, and a 100,000-entry batch's parsed entries should not outlive that.
 */
export async function verifyBatchConcurrently<T>(
  jws: string,
  ctx: BatchContext,
  speculate: (payload: BatchPayload) => T,
): Promise<{ batch: VerifiedBatch; speculated: T }> {
  const inspected = inspectCompactJws(jws, ctx.keys, BATCH_TYP);
  const signature = verifySignatureInBackground(inspected);
  const leaf = leafHashInBackground(inspected.leafInput);
  signature.catch(() => undefined);
  leaf.catch(() => undefined);
  let parsed: { payload: BatchPayload; speculated: T } | { error: unknown };
  try {
    const payload = checkPayload(decodePayload(inspected), ctx, inspected.key);
    parsed = { payload, speculated: speculate(payload) };
  } catch (error) {
    parsed = { error };
  }
  await signature;
  if ('error' in parsed) throw parsed.error;
  const { payload, speculated } = parsed;
  const batch = {
    publisher: payload.publisher,
    seq: payload.seq,
    jws,
    leafHash: toBase64Url(await leaf),
    kid: inspected.key.kid,
    issuedAt: parseTimestamp(payload.issuedAt)!,
    entryCount: payload.entries.length,
    payload: { ...payload, entries: [] },
  };
  return { batch, speculated };
}

export function checkPayload(payloadText: string, ctx: BatchContext, key: PinnedKey): BatchPayload {
  const payload = checkBatchShape(parseStrictJson(payloadText, 'payload'));
  if (payload.publisher !== ctx.publisher) {
    throw new SpamxError('BATCH_WRONG_PUBLISHER', `batch names publisher "${payload.publisher}", expected "${ctx.publisher}"`);
  }
  checkKeyInForce(key.kid, key.validity, payload.seq); // the seq is known only now
  const expectedSeq = ctx.head.size + 1;
  if (payload.seq !== expectedSeq) {
    throw new SpamxError('BATCH_SEQ_GAP', `batch has seq ${payload.seq} where ${expectedSeq} comes next`, { seq: payload.seq });
  }
  if (payload.prev !== ctx.head.head) {
    throw new SpamxError(
      'BATCH_PREV_MISMATCH',
      `seq ${payload.seq} has prev ${String(payload.prev)}, but batch ${ctx.head.size} has leaf hash ${String(ctx.head.head)}`,
      { seq: payload.seq },
    );
  }
  return payload;
}
