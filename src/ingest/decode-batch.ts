import { createPublicKey } from 'node:crypto';
import { describeError, SpamxError, type ErrorCode } from '../core/errors.js';
import { EntryEvaluator, type IndexedRefusal } from '../core/evaluate-entries.js';
import { freeNow } from '../core/free-buffers.js';
import { EntryColumns, transferables, type PackedEntries } from '../core/packed-entries.js';
import type { Policy } from '../core/policy.js';
import { parsePrefix } from '../core/prefix.js';
import { PrefixSet } from '../core/prefix-set.js';
import { parseTimestamp } from '../core/time.js';
import type { KeyValidity } from '../core/key-history.js';
import type { PinnedKey, PublicJwk } from '../verify/pinned-keys.js';
import { verifyBatchInChunks, type FeedHead } from '../verify/verify-batch.js';
import type { CompactJws } from '../verify/verify-jws.js';

/** Local policy as plain data, so it can be sent to the decoder thread. */
export interface PolicySnapshot {
  readonly minPrefixLength: { readonly 4: number; readonly 6: number };
  readonly allowlist: readonly string[];
  readonly maxExpiryMs: number;
}

export interface DecodeRequest {
  /** The batch: as text (from a page of batches) or as 0x00 ‖ its bytes (fetched alone). */
  readonly jws: CompactJws;
  readonly publisher: string;
  /** Each key with the seq range it may sign, when the publisher's key statements name it. */
  readonly keys: readonly { readonly kid: string; readonly jwk: PublicJwk; readonly validity?: KeyValidity }[];
  readonly head: FeedHead;
  readonly policy: PolicySnapshot;
}

/** A verified batch, its entries through local policy. */
export interface DecodedBatch {
  readonly ok: true;
  /** The JWS as ASCII bytes: transferred to the storing thread, not copied (see apply-batch.ts). */
  readonly jws: Uint8Array;
  readonly seq: number;
  readonly prev: string | null;
  readonly leafHash: string;
  readonly kid: string;
  readonly issuedAt: number;
  readonly entryCount: number;
  readonly accepted: PackedEntries;
  readonly refused: IndexedRefusal[];
}

export type DecodeResult =
  | DecodedBatch
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string; readonly details?: Record<string, unknown> };

export function snapshotPolicy(policy: Policy, maxExpiryMs: number, allowlist: readonly string[]): PolicySnapshot {
  return { minPrefixLength: { ...policy.minPrefixLength }, allowlist, maxExpiryMs };
}

let cachedAllowlist: { texts: readonly string[]; set: PrefixSet } | undefined;

function toPolicy(snapshot: PolicySnapshot): Policy {
  const texts = snapshot.allowlist;
  if (!cachedAllowlist || cachedAllowlist.texts.join('\n') !== texts.join('\n')) {
    const prefixes = texts.map((t) => parsePrefix(t)).flatMap((p) => (p.ok ? [p.prefix] : []));
    cachedAllowlist = { texts, set: new PrefixSet(prefixes) };
  }
  return { minPrefixLength: snapshot.minPrefixLength, allowlist: cachedAllowlist.set };
}

/**
 * Verifies one batch (PROTOCOL "Validity and local policy", question 1) and evaluates its
 * entries against local policy (question 2), returning the accepted entries packed in columns.
 * Runs on the feed-reader thread, so reading one batch overlaps with storing the previous one.
 */
export function decodeBatch(req: DecodeRequest): DecodeResult {
  try {
    const keys = new Map<string, PinnedKey>(
      req.keys.map(({ kid, jwk, validity }) => [kid, { kid, jwk, keyObject: createPublicKey({ key: { ...jwk }, format: 'jwk' }), ...(validity ? { validity } : {}) }]),
    );
    const policy = toPolicy(req.policy);
    const evaluator = new EntryEvaluator(policy);
    const columns = new EntryColumns();
    const { batch, speculated, leafInput } = verifyBatchInChunks(req.jws, { publisher: req.publisher, keys, head: req.head }, {
      entries: (chunk, first) => {
        for (let i = 0; i < chunk.length; i++) {
          const entry = evaluator.evaluate(chunk[i], first + i);
          if (entry) columns.push(entry, first + i);
        }
      },
      // Expiry is capped relative to the batch's own issuedAt (ingest-batch.ts says why).
      finish: (payload) => ({
        accepted: columns.pack(parseTimestamp(payload.issuedAt)! + req.policy.maxExpiryMs),
        refused: evaluator.refused,
      }),
    });
    return {
      ok: true,
      jws: leafInput.subarray(1), // the JWS bytes, already made for the leaf hash
      seq: batch.seq,
      prev: batch.payload.prev,
      leafHash: batch.leafHash,
      kid: batch.kid,
      issuedAt: batch.issuedAt,
      entryCount: batch.entryCount,
      ...speculated,
    };
  } catch (err) {
    if (err instanceof SpamxError) return { ok: false, code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) };
    return { ok: false, code: 'INTERNAL', message: describeError(err) };
  }
}

/**
 * Frees a stored batch's buffers at once (core/free-buffers.ts): its JWS bytes and entry
 * columns, which arrived from the reader thread and are this thread's alone. The batch is
 * unusable after.
 */
export function freeDecodedBatch(batch: DecodedBatch): void {
  freeNow([...transferables(batch.accepted), batch.jws.buffer as ArrayBuffer]);
}
