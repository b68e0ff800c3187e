import { printable } from '../../core/printable.js';
import type { RemovalDecision, RemovalRequest } from '../../core/removal-request.js';
import { formatTimestamp } from '../../core/time.js';
import { removalRequestJson } from '../../serve/removal-routes.js';
import { listRemovalRequests } from '../../store/removal-request-store.js';
import { dataDir, UsageError, type DataOptions, type JsonOptions } from '../args.js';
import { withNode } from './open-node.js';

const STATUSES = ['open', 'accepted', 'rejected'] as const;

/**
 * `spamx requests list`: removal requests newest first, one a line (tab-separated; what the
 * requester wrote escaped, so it can neither drive the terminal nor add a field), or JSON with
 * RFC 3339 times as `GET /v1/removal-requests` answers.
 */
export async function requestsList(o: DataOptions & JsonOptions & { readonly status?: string }): Promise<number> {
  const status = o.status as RemovalRequest['status'] | undefined;
  if (status !== undefined && !STATUSES.includes(status)) throw new UsageError(`--status must be open, accepted or rejected, not "${o.status}"`);
  return withNode(dataDir(o.data), async (node) => {
    const requests = listRemovalRequests(node.store, { status, limit: 10_000 });
    if (o.json) {
      process.stdout.write(`${JSON.stringify(requests.map(removalRequestJson), null, 2)}\n`);
      return 0;
    }
    if (requests.length === 0) process.stderr.write(`no ${status ?? ''}${status ? ' ' : ''}removal requests\n`);
    for (const r of requests) {
      const decided = r.decidedAt === null ? '' : ` ${formatTimestamp(r.decidedAt)}${r.decisionNote ? ` (${printable(r.decisionNote)})` : ''}`;
      process.stdout.write(`${r.id}\t${r.status}${decided}\t${formatTimestamp(r.createdAt)}\t${r.address}\t${printable(r.contact)}\t${printable(r.message)}\n`);
    }
    return 0;
  });
}

/** `spamx requests accept ID`: a delist queued and the request accepted, or exit 1 saying why not. */
export async function requestsAccept(id: string, o: DataOptions & { readonly note?: string }): Promise<number> {
  return decide(id, 'accept', o);
}

/** `spamx requests reject ID`. */
export async function requestsReject(id: string, o: DataOptions & { readonly note?: string }): Promise<number> {
  return decide(id, 'reject', o);
}

async function decide(id: string, decision: RemovalDecision, o: DataOptions & { readonly note?: string }): Promise<number> {
  return withNode(dataDir(o.data), async (node) => {
    const r = node.decideRemovalRequest(id, decision, o.note ?? null);
    process.stdout.write(
      decision === 'accept'
        ? `accepted ${r.id}: a delist of ${r.address} is queued for the next batch (published on the schedule, or now with "spamx publish")\n`
        : `rejected ${r.id} (${r.address}); nothing delisted\n`,
    );
    return 0;
  });
}
