import { BATCH_TYP, type BatchPayload } from '../core/batch.js';
import { SpamxError, type ErrorCode } from '../core/errors.js';
import type { EntryEvaluator, IndexedRefusal } from '../core/evaluate-entries.js';
import type { FeedHead } from '../core/feed-head.js';
import { EntryColumns, type PackedEntries } from '../core/packed-entries.js';
import type { SealedRecord } from '../core/sealed-payload.js';
import type { PinnedKey } from '../verify/pinned-keys.js';
import { verifyBatchInChunks } from '../verify/verify-batch.js';
import { openSealedLeaf, type OpeningKeys } from './open-sealed.js';

/** A sealed batch as the reader thread leaves it: what to record, and the entries to apply if any. */
export interface OpenedSealed {
  readonly record: SealedRecord;
  /** The inner entries local policy accepted, when this node opened the batch; else undefined. */
  readonly accepted?: PackedEntries;
  /** Inner entries (0 when not opened). */
  readonly entryCount: number;
  readonly refused: readonly IndexedRefusal[];
}

const NOT_A_LEAF = Buffer.alloc(32);
const SEALED_CODES: ReadonlySet<ErrorCode> = new Set(['SEALED_UNREADABLE', 'SEALED_DIGEST_MISMATCH', 'SEALED_BAD_INNER']);

/**
 * A sealed batch whose outer JWS verified and whose place in the feed checked out (PROTOCOL
 * "Additions: partners only"). A node it is not sealed to records its recipients and applies
 * nothing. A recipient decrypts it (open-sealed.ts: its key, then the digest), verifies the inner
 * JWS with the publisher's keys as any batch of that seq (same publisher, seq and prev, so the
 * same feed head checks it), and that its issuedAt and label are the outer's, then evaluates its
 * entries under local policy. Any failure there refuses the content with its own code, not the
 * batch: the outer batch is authentic and the chain must go on, so it is stored and applies
 * nothing, and the refusal is recorded against its publisher.
 */
export function openSealedBatch(
  outer: BatchPayload,
  ctx: {
    readonly publisher: string;
    readonly keys: ReadonlyMap<string, PinnedKey>;
    readonly head: FeedHead;
    readonly opening?: OpeningKeys | undefined;
    readonly evaluator: () => EntryEvaluator;
    readonly expiryCap: number;
  },
): OpenedSealed {
  const sealed = outer.sealed!;
  const recipients = sealed.recipients.join(' ');
  if (!ctx.opening || !sealed.recipients.includes(ctx.opening.self)) return { record: { recipients }, entryCount: 0, refused: [] };
  try {
    const innerLeaf = openSealedLeaf(sealed, ctx.opening);
    const inner = innerLeaf.toString('latin1', 1);
    const evaluator = ctx.evaluator();
    const columns = new EntryColumns();
    let entryCount = 0;
    let payload: BatchPayload;
    try {
      ({
        batch: { payload },
        // The inner JWS is no leaf of any log: its leaf hash (a SHA-256 of 20-odd MB) is not computed.
      } = verifyBatchInChunks({ leafInput: innerLeaf, leafHash: NOT_A_LEAF }, { publisher: ctx.publisher, keys: ctx.keys, head: ctx.head }, {
        authentic: () => undefined,
        start: () => undefined,
        entries: (chunk, first) => {
          entryCount += chunk.length;
          for (let i = 0; i < chunk.length; i++) {
            const entry = evaluator.evaluate(chunk[i], first + i);
            if (entry) columns.push(entry, first + i);
          }
        },
        finish: () => undefined,
      }));
    } catch (err) {
      if (!(err instanceof SpamxError)) throw err;
      throw new SpamxError('SEALED_BAD_INNER', `the inner JWS is not ${ctx.publisher}'s ${BATCH_TYP} of this seq: ${err.code}: ${err.message}`);
    }
    if (payload.sealed) throw new SpamxError('SEALED_BAD_INNER', 'the inner JWS is itself sealed');
    if (payload.issuedAt !== outer.issuedAt) throw new SpamxError('SEALED_BAD_INNER', `the inner JWS was issued at ${payload.issuedAt}, the outer at ${outer.issuedAt}`);
    if (payload.tlp !== sealed.tlp) throw new SpamxError('SEALED_BAD_INNER', `the inner JWS is labelled ${JSON.stringify(payload.tlp)}, the batch says ${sealed.tlp}`);
    return { record: { recipients, inner }, accepted: columns.pack(ctx.expiryCap), entryCount, refused: evaluator.refused };
  } catch (err) {
    if (!(err instanceof SpamxError) || !SEALED_CODES.has(err.code)) throw err;
    return { record: { recipients, refusal: { code: err.code, reason: err.message } }, entryCount: 0, refused: [] };
  }
}
