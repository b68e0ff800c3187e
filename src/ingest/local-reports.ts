import { isSpamxError } from '../core/errors.js';
import type { PublishedBatch } from '../core/published-batch.js';
import { parseDelists, parseReport, parseReportObjects, type ParsedReport } from '../core/report.js';
import { enqueueReports } from '../store/queue-store.js';
import { recordRefusals } from '../store/refusal-store.js';
import type { IngestDeps } from './ingest-batch.js';
import type { OwnIdentity } from './own-identity.js';
import { publishQueued } from './publish-batches.js';

export interface LocalReportsDeps extends IngestDeps {
  readonly identity: OwnIdentity;
  /** Something this node wrote changes what it serves (queued refusals, published batches). */
  readonly changed: (published: readonly PublishedBatch[]) => void;
}

/**
 * The node's own reports: what its monitors find is parsed under local policy and queued, what
 * policy refuses is recorded like refused entries of a batch, and the queue is published as
 * signed batches of the node's own feed.
 */
export class LocalReports {
  constructor(private readonly deps: LocalReportsDeps) {}

  reportText(text: string): ParsedReport {
    return this.enqueue(parseReport(text, this.deps.clock(), this.deps.policy()));
  }

  reportObjects(objects: readonly unknown[]): ParsedReport {
    return this.enqueue(parseReportObjects(objects, this.deps.clock(), this.deps.policy()));
  }

  delist(prefixes: readonly string[], reason: string | null): ParsedReport {
    return this.enqueue(parseDelists(prefixes, reason, this.deps.clock()));
  }

  async publish(): Promise<PublishedBatch[]> {
    const { identity, log } = this.deps;
    await identity.refresh();
    const batches = await publishQueued({ ...this.deps, identity: identity.current }).catch(async (err: unknown) => {
      if (!isSpamxError(err, 'JWS_KEY_NOT_IN_FORCE')) throw err;
      await identity.refresh(); // `spamx key rotate` committed while this batch was signed
      return publishQueued({ ...this.deps, identity: identity.current });
    });
    for (const b of batches) log.info({ seq: b.seq, entries: b.entries }, 'published batch');
    this.deps.changed(batches);
    return batches;
  }

  /** Queues accepted reports and records refused lines, like refused entries of a batch. */
  private enqueue(parsed: ParsedReport): ParsedReport {
    const { store, config } = this.deps;
    const now = this.deps.clock();
    if (parsed.accepted.length > 0) enqueueReports(store, parsed.accepted, now);
    const refused = parsed.refused.map((r) => ({ ...r, index: null, reason: `report line ${r.line}: ${r.reason}` }));
    recordRefusals(store, config.id, null, refused, now);
    this.deps.changed([]); // refusals show in lookups
    return parsed;
  }
}
