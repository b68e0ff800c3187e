import type { ParsedReport } from '../core/report.js';
import type { RemovalDecision, RemovalRequest } from '../core/removal-request.js';
import { writeTransaction, type Store } from '../store/open-store.js';
import { getRemovalRequest, markRemovalRequestDecided } from '../store/removal-request-store.js';
import { SpamxError } from '../core/errors.js';

/** The part of a lookup answer a decision reads: which stored prefixes cover the address, and by whom. */
export interface CoveringListings {
  readonly matches: readonly { readonly prefix: string; readonly sources: readonly { readonly publisher: string; readonly state: string }[] }[];
}

export interface RemovalDecisionDeps {
  readonly store: Store;
  readonly clock: () => number;
  /** This node's centre id: only its own listings can be withdrawn by it. */
  readonly ownId: string;
  /** The node's own delist (LocalReports.delist): queued for its next batch. */
  readonly delist: (prefixes: readonly string[], reason: string | null) => ParsedReport;
  readonly lookup: (address: string) => CoveringListings;
}

/**
 * The operator's decision on a removal request, the one function the CLI and the dashboard
 * share. Accepting queues a delist, in this node's feed, of every prefix covering the address
 * that this node lists (a listing of 61.4.12.0/24 is withdrawn whole: a delist of one address
 * inside it would match no listing), or of the address itself when this node lists nothing
 * covering it, so its feed still records the decision; the reason is the note, or
 * "removal request <id>". Partners' listings stay theirs. Rejecting only marks the request.
 * The delist and the mark are one write transaction: two operators deciding at once get one
 * delist and one CONFLICT.
 */
export function decideRemovalRequest(deps: RemovalDecisionDeps, id: string, decision: RemovalDecision, note: string | null): RemovalRequest {
  const { store, clock } = deps;
  const cleanNote = note !== null && note.trim() !== '' ? note.trim() : null;
  const request = getRemovalRequest(store, id);
  if (!request) throw new SpamxError('NOT_FOUND', `no removal request has the id "${id}"; "spamx requests list" shows them`);
  // Read before the transaction: a lookup may project first, which writes in its own.
  const own =
    decision === 'accept' && request.status === 'open'
      ? deps
          .lookup(request.address)
          .matches.filter((m) => m.sources.some((s) => s.publisher === deps.ownId && s.state === 'active'))
          .map((m) => m.prefix)
      : [];
  return writeTransaction(store, () => {
    // The mark first: a request decided meanwhile (CONFLICT) queues nothing.
    const decided = markRemovalRequestDecided(store, id, decision === 'accept' ? 'accepted' : 'rejected', cleanNote, clock());
    if (decision === 'accept') {
      const parsed = deps.delist(own.length > 0 ? own : [request.address], cleanNote ?? `removal request ${id}`);
      if (parsed.accepted.length === 0) {
        throw new SpamxError('BAD_REQUEST', `the delist of ${request.address} was refused: ${parsed.refused.map((r) => r.reason).join('; ')}`);
      }
    }
    return decided;
  });
}
