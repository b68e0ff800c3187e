import { isSpamxError } from '../core/errors.js';
import type { PublishedBatch } from '../core/published-batch.js';
import { evaluateReportRows, parseDelists, parseReport, parseReportObjects, type ParsedReport, type ReportLineRefusal } from '../core/report.js';
import { writeTransaction } from '../store/open-store.js';
import { enqueueReports, type QueueLabel } from '../store/queue-store.js';
import { recordRefusals } from '../store/refusal-store.js';
import type { IngestDeps } from './ingest-batch.js';
import type { OwnIdentity } from './own-identity.js';
import { publishQueued, type PublishProgress } from './publish-batches.js';
import { reportRowGroups } from './report-stream.js';
import { sealGroups, type Sealing } from './seal-rules.js';

/** What a streamed report did: counts only (a refused line is told to `refused` as it is met). */
export interface StreamedReport {
  readonly queued: number;
  readonly refused: number;
}

export interface ReportStreamOptions {
  /** Each refused line, in the order met. */
  readonly refused?: (r: ReportLineRefusal) => void;
  /** After each group is queued: input bytes read so far, and the counts so far. */
  readonly progress?: (p: StreamedReport & { readonly bytes: number }) => void;
  /** The label (and recipients) the reports are queued under; the node's default when absent. */
  readonly label?: QueueLabel;
}

export interface LocalReportsDeps extends IngestDeps {
  readonly identity: OwnIdentity;
  /** Pinned partners and `publish.seal` rules, for reports queued sealed (ingest/seal-rules.ts). */
  readonly sealing?: Sealing;
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

  reportText(text: string, label?: QueueLabel): ParsedReport {
    return this.enqueue(parseReport(text, this.deps.clock(), this.deps.policy()), label);
  }

  reportObjects(objects: readonly unknown[], label?: QueueLabel): ParsedReport {
    return this.enqueue(parseReportObjects(objects, this.deps.clock(), this.deps.policy()), label);
  }

  /**
   * A report read from a stream (core/report.ts's formats), queued a group of rows at a time,
   * each group one transaction with its refusals: memory stays one group's worth however long
   * the report. A read error stops it with the groups before it queued (they were sound).
   */
  async reportStream(source: AsyncIterable<Uint8Array | string>, options: ReportStreamOptions = {}): Promise<StreamedReport> {
    let queued = 0;
    let refused = 0;
    try {
      for await (const group of reportRowGroups(source)) {
        const parsed = this.keep(evaluateReportRows(group.rows, this.deps.clock(), this.deps.policy()), options.label);
        queued += parsed.accepted.length;
        refused += parsed.refused.length;
        for (const r of parsed.refused) options.refused?.(r);
        options.progress?.({ queued, refused, bytes: group.bytes });
      }
    } finally {
      if (queued + refused > 0) this.deps.changed([]); // refusals show in lookups
    }
    return { queued, refused };
  }

  delist(prefixes: readonly string[], reason: string | null): ParsedReport {
    return this.enqueue(parseDelists(prefixes, reason, this.deps.clock()));
  }

  async publish(progress?: (p: PublishProgress) => void): Promise<PublishedBatch[]> {
    const { identity, log } = this.deps;
    await identity.refresh();
    const batches = await publishQueued({ ...this.deps, identity: identity.current, progress }).catch(async (err: unknown) => {
      if (!isSpamxError(err, 'JWS_KEY_NOT_IN_FORCE')) throw err;
      await identity.refresh(); // `spamx key rotate` committed while this batch was signed
      return publishQueued({ ...this.deps, identity: identity.current, progress });
    });
    for (const b of batches) log.info({ seq: b.seq, entries: b.entries }, 'published batch');
    this.deps.changed(batches);
    return batches;
  }

  /** Queues accepted reports and records refused lines, like refused entries of a batch. */
  private enqueue(parsed: ParsedReport, label?: QueueLabel): ParsedReport {
    this.keep(parsed, label);
    this.deps.changed([]); // refusals show in lookups
    return parsed;
  }

  /** Accepted reports and refused lines stored in one transaction. */
  private keep(parsed: ParsedReport, label?: QueueLabel): ParsedReport {
    const { store, config } = this.deps;
    const now = this.deps.clock();
    const refused = parsed.refused.map((r) => ({ ...r, index: null, reason: `report line ${r.line}: ${r.reason}` }));
    writeTransaction(store, () => {
      // Sealed to partners by the label's recipients or the config's seal rules (seal-rules.ts).
      if (parsed.accepted.length > 0) for (const [reports, l] of sealGroups(this.deps.sealing, parsed.accepted, label)) enqueueReports(store, reports, now, l);
      recordRefusals(store, config.id, null, refused, now);
    });
    return parsed;
  }
}
