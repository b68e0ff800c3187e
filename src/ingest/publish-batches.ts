import { buildBatchPayload, MAX_BATCH_ENTRIES } from '../core/batch.js';
import { isSpamxError } from '../core/errors.js';
import type { PublishedBatch } from '../core/published-batch.js';
import { ReportMerger } from '../core/report-merge.js';
import { DAY_MS } from '../core/time.js';
import type { Identity } from '../config/identity.js';
import { feedHead } from '../store/feed-store.js';
import { writeTransaction } from '../store/open-store.js';
import { dequeueThrough, queuedReports } from '../store/queue-store.js';
import { verifyBatch } from '../verify/verify-batch.js';
import { evaluateVerified, storeAuthenticBatch, type IngestDeps } from './ingest-batch.js';
import { signBatch } from './sign-batch.js';
import { signOwnCheckpoint } from './own-checkpoint.js';
import { assertOwnKeyInForce, ownKeySet } from './own-key-set.js';

export interface PublishDeps extends IngestDeps {
  readonly identity: Identity;
}

const MAX_HEAD_RACES = 5;

/**
 * Cuts batches of this node's feed from the report queue until it is empty: at most 100,000
 * entries each, one entry per prefix. Each batch is signed, checked as any receiver would check
 * it, then stored, merged and removed from the queue in one transaction. If another process
 * (a CLI `spamx publish` beside the daemon) advanced the feed meanwhile, the batch is cut again
 * from what is still queued.
 */
export async function publishQueued(deps: PublishDeps): Promise<PublishedBatch[]> {
  const published: PublishedBatch[] = [];
  for (let races = 0; races < MAX_HEAD_RACES; ) {
    const ownKeys = ownKeySet(deps.store, deps.config.id, deps.identity);
    const merger = new ReportMerger(deps.config.publish.defaultExpiryDays * DAY_MS, MAX_BATCH_ENTRIES);
    let lastId = 0;
    for (const row of queuedReports(deps.store)) {
      if (!merger.add(row)) break;
      lastId = row.id;
    }
    if (merger.size === 0) return published;
    const head = feedHead(deps.store, deps.config.id);
    const payload = buildBatchPayload({
      publisher: deps.config.id,
      seq: head.size + 1,
      prev: head.head,
      issuedAt: deps.clock(),
      entries: merger.entries(),
    });
    const jws = await signBatch(payload, deps.identity);
    const verified = verifyBatch(jws, { publisher: deps.config.id, keys: ownKeys, head });
    try {
      writeTransaction(deps.store, () => {
        assertOwnKeyInForce(deps.store, deps.config.id, verified.kid, verified.seq);
        storeAuthenticBatch(deps, evaluateVerified(deps, verified), null);
        signOwnCheckpoint(deps.store, { id: deps.config.id, origin: deps.config.origin, key: deps.identity.signingKey }, deps.clock());
        dequeueThrough(deps.store, lastId);
      });
    } catch (err) {
      if (isSpamxError(err, 'BATCH_SEQ_GAP') || isSpamxError(err, 'BATCH_PREV_MISMATCH')) {
        races++;
        continue;
      }
      throw err;
    }
    published.push({ seq: verified.seq, entries: payload.entries.length, leafHash: verified.leafHash });
  }
  return published;
}
