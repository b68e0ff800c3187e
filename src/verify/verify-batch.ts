import { BATCH_TYP, checkBatchShape, type BatchPayload } from '../core/batch.js';
import { SpamxError } from '../core/errors.js';
import { leafHash, leafHashInBackground, toBase64Url } from '../core/leaf-hash.js';
import { parseStrictJson } from '../core/strict-json.js';
import { parsePayloadInChunks } from '../core/chunked-payload.js';
import { checkKeyInForce } from '../core/key-history.js';
import { parseTimestamp } from '../core/time.js';
import type { PinnedKey, PinnedKeySet } from './pinned-keys.js';
import { decodePayload, inspectCompactJws, verifyCompactJws, verifySignatureInBackground, type CompactJws } from './verify-jws.js';

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

/** What verifyBatchConcurrently does with a batch's entries while it verifies the batch. */
export interface EntryConsumer<T> {
  /** Entries as they are parsed, a chunk at a time, before the payload's checks are done. */
  entries(chunk: readonly unknown[], firstIndex: number): void;
  /** Called once the payload has passed every check; its result is returned as `speculated`. */
  finish(payload: BatchPayload): T;
}

/**
 * verifyBatch for large batches: the signature check and the leaf hash run on the thread pool
 * while this thread parses the payload, handing its entries to `consumer` a chunk at a time
 * (core/chunked-payload.ts; the pull path evaluates them against local policy). The verdicts
 * and their order are verifyBatch's: a bad signature wins over anything found in the payload,
 * and nothing is returned before the signature is known good. The returned payload's
 * `entries` is empty: the consumer has had them. `leafInput` is 0x00 ‖ the JWS bytes
 * (core/leaf-hash.ts), for a caller that needs the bytes; the JWS may be given that way too.
 */
export async function verifyBatchConcurrently<T>(
  jws: CompactJws,
  ctx: BatchContext,
  consumer: EntryConsumer<T>,
): Promise<{ batch: Omit<VerifiedBatch, 'jws'>; speculated: T; leafInput: Buffer }> {
  const inspected = inspectCompactJws(jws, ctx.keys, BATCH_TYP);
  const { key, leafInput } = inspected;
  const signature = verifySignatureInBackground(inspected);
  const leaf = leafHashInBackground(leafInput);
  signature.catch(() => undefined);
  leaf.catch(() => undefined);
  let parsed: { payload: BatchPayload; speculated: T } | { error: unknown };
  let entryCount = 0;
  try {
    // `inspected` (and the payload's bytes in it) is not used past this statement, so it is not
    // kept across the await below: a batch-sized buffer less while entries are evaluated.
    const text = decodePayload(inspected);
    const shaped = parsePayloadInChunks(text, (chunk, first) => {
      entryCount += chunk.length;
      consumer.entries(chunk, first);
    });
    const payload = checkPlace(shaped, ctx, key);
    parsed = { payload, speculated: consumer.finish(payload) };
  } catch (error) {
    parsed = { error };
  }
  await signature;
  if ('error' in parsed) throw parsed.error;
  const { payload, speculated } = parsed;
  const batch = {
    publisher: payload.publisher,
    seq: payload.seq,
    leafHash: toBase64Url(await leaf),
    kid: key.kid,
    issuedAt: parseTimestamp(payload.issuedAt)!,
    entryCount,
    payload,
  };
  return { batch, speculated, leafInput };
}

export function checkPayload(payloadText: string, ctx: BatchContext, key: PinnedKey): BatchPayload {
  return checkPlace(checkBatchShape(parseStrictJson(payloadText, 'payload')), ctx, key);
}

/** The checks after the payload's shape: its publisher, its key's validity, its place in the feed. */
function checkPlace(payload: BatchPayload, ctx: BatchContext, key: PinnedKey): BatchPayload {
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
