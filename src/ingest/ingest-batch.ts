import type { Logger } from 'pino';
import type { NodeConfig } from '../config/config.js';
import type { BatchPayload } from '../core/batch.js';
import { evaluateEntries, type EntryEvaluation } from '../core/evaluate-entries.js';
import type { Policy } from '../core/policy.js';
import { DAY_MS, parseTimestamp } from '../core/time.js';
import { applyBatch, type ApplyOutcome } from '../store/apply-batch.js';
import type { Store } from '../store/open-store.js';
import type { VerifiedBatch } from '../verify/verify-batch.js';

export interface IngestDeps {
  readonly store: Store;
  readonly config: NodeConfig;
  readonly policy: () => Policy;
  readonly clock: () => number;
  readonly log: Logger;
}

/**
 * Local policy over every entry of a batch. Expiry is capped relative to the batch's own
 * issuedAt, not this node's clock, so every node given the same batches ends with the same store.
 */
export function evaluateBatch(deps: IngestDeps, payload: BatchPayload): EntryEvaluation {
  return evaluateEntries(payload.entries, {
    policy: deps.policy(),
    expiryCap: parseTimestamp(payload.issuedAt)! + deps.config.policy.maxExpiryDays * DAY_MS,
  });
}

/**
 * An authentic batch goes into the log whole; its entries that passed local policy go into the
 * merged store, in the same transaction.
 */
export function ingestVerifiedBatch(
  deps: IngestDeps,
  batch: VerifiedBatch,
  quota: number | null,
  evaluation: EntryEvaluation = evaluateBatch(deps, batch.payload),
): ApplyOutcome {
  deps.log.debug({ publisher: batch.publisher, seq: batch.seq, entries: batch.payload.entries.length }, 'applying batch');
  const outcome = applyBatch(
    deps.store,
    {
      publisher: batch.publisher,
      seq: batch.seq,
      prev: batch.payload.prev,
      leafHash: batch.leafHash,
      jws: batch.jws,
      kid: batch.kid,
      issuedAt: batch.issuedAt,
      entryCount: batch.payload.entries.length,
      ...evaluation,
      quota,
    },
    deps.clock(),
  );
  if (outcome.applied) deps.log.info({ publisher: batch.publisher, seq: batch.seq, ...outcome }, 'batch applied');
  return outcome;
}
