import { randomBytes } from 'node:crypto';
import { and, count, desc, eq, gt, lt, type SQL } from 'drizzle-orm';
import { SpamxError } from '../core/errors.js';
import type { RemovalRequest } from '../core/removal-request.js';
import { formatTimestamp } from '../core/time.js';
import { writeTransaction, type Store } from './open-store.js';
import { removalRequests } from './schema.js';

/*
 * Listed parties' removal requests (PROTOCOL "Additions: console"). Cold: a few a day at most,
 * bounded per client and per address, on drizzle's query builder. Nothing here delists: the
 * operator's accept does that (src/ingest/removal-decisions.ts).
 */

const DAY_MS = 86_400_000;

const ROW = {
  id: removalRequests.id,
  address: removalRequests.address,
  contact: removalRequests.contact,
  message: removalRequests.message,
  createdAt: removalRequests.createdAt,
  status: removalRequests.status,
  decidedAt: removalRequests.decidedAt,
  decisionNote: removalRequests.decisionNote,
};

export interface NewRemovalRequest {
  /** Canonical text of the address (as the lookup writes it). */
  readonly address: string;
  readonly contact: string;
  readonly message: string;
  /** The client address it came from (an IPv6 client's /64), for the per-client bound. */
  readonly client: string;
}

export interface RemovalRequestBounds {
  /** Requests one client may make in any 24 hours. */
  readonly perClientPerDay: number;
  /** Open requests one address may have at once. */
  readonly openPerAddress: number;
}

/** What storing a request came to. */
export type RemovalRequestInsert =
  | { readonly kind: 'created' | 'existing'; readonly request: RemovalRequest }
  /** Over a bound: why, and when a request may come again (null: once the operator decided). */
  | { readonly kind: 'limited'; readonly reason: string; readonly retryAt: number | null };

/**
 * Stores a request, within the bounds. The same address and contact while such a request is
 * still open answers that open request (`existing`), so a form sent twice makes one request.
 * The checks and the insert are one write transaction, so two processes cannot both pass a bound.
 */
export function insertRemovalRequest(store: Store, request: NewRemovalRequest, now: number, bounds: RemovalRequestBounds): RemovalRequestInsert {
  return writeTransaction(store, (): RemovalRequestInsert => {
    const open = and(eq(removalRequests.address, request.address), eq(removalRequests.status, 'open'));
    const same = store.orm.select(ROW).from(removalRequests).where(and(open, eq(removalRequests.contact, request.contact))).orderBy(desc(removalRequests.createdAt)).get();
    if (same) return { kind: 'existing', request: same };
    const recent = store.orm
      .select({ createdAt: removalRequests.createdAt })
      .from(removalRequests)
      .where(and(eq(removalRequests.client, request.client), gt(removalRequests.createdAt, now - DAY_MS)))
      .orderBy(desc(removalRequests.createdAt))
      .limit(bounds.perClientPerDay)
      .all();
    if (recent.length >= bounds.perClientPerDay) {
      const reason = `at most ${bounds.perClientPerDay} removal requests a day may come from one address`;
      return { kind: 'limited', reason, retryAt: recent[recent.length - 1]!.createdAt + DAY_MS };
    }
    const openForAddress = store.orm.select({ n: count() }).from(removalRequests).where(open).get()!.n;
    if (openForAddress >= bounds.openPerAddress) {
      return { kind: 'limited', reason: `${request.address} already has ${openForAddress} open removal requests; the operator answers those first`, retryAt: null };
    }
    const row: RemovalRequest = { id: newRequestId(), address: request.address, contact: request.contact, message: request.message, createdAt: now, status: 'open', decidedAt: null, decisionNote: null };
    store.orm.insert(removalRequests).values({ ...row, client: request.client }).run();
    return { kind: 'created', request: row };
  });
}

/** 128 random bits, base64url: unguessable, so a request's id can be handed to its sender. */
function newRequestId(): string {
  return `rr_${randomBytes(16).toString('base64url')}`;
}

export interface RemovalRequestQuery {
  readonly status?: RemovalRequest['status'] | undefined;
  /** At most this many (default 100). */
  readonly limit?: number | undefined;
  /** Only requests made before this time (ms), for paging back. */
  readonly before?: number | undefined;
}

/** Requests newest first. */
export function listRemovalRequests(store: Store, options: RemovalRequestQuery = {}): RemovalRequest[] {
  const where: SQL[] = [];
  if (options.status !== undefined) where.push(eq(removalRequests.status, options.status));
  if (options.before !== undefined) where.push(lt(removalRequests.createdAt, options.before));
  return store.orm
    .select(ROW)
    .from(removalRequests)
    .where(and(...where))
    .orderBy(desc(removalRequests.createdAt), desc(removalRequests.id))
    .limit(options.limit ?? 100)
    .all();
}

export function getRemovalRequest(store: Store, id: string): RemovalRequest | undefined {
  return store.orm.select(ROW).from(removalRequests).where(eq(removalRequests.id, id)).get();
}

/**
 * Marks an open request decided; answers the request as it now is. Unknown id: NOT_FOUND;
 * already decided: CONFLICT, saying how. Call inside the transaction that acts on the decision.
 */
export function markRemovalRequestDecided(store: Store, id: string, status: 'accepted' | 'rejected', note: string | null, now: number): RemovalRequest {
  const changed = store.orm
    .update(removalRequests)
    .set({ status, decidedAt: now, decisionNote: note })
    .where(and(eq(removalRequests.id, id), eq(removalRequests.status, 'open')))
    .run().changes;
  const request = getRemovalRequest(store, id);
  if (!request) throw new SpamxError('NOT_FOUND', `no removal request has the id "${id}"; "spamx requests list" shows them`);
  if (changed === 0) throw new SpamxError('CONFLICT', `removal request ${id} was already ${request.status}${request.decidedAt !== null ? ` at ${formatTimestamp(request.decidedAt)}` : ''}`);
  return request;
}
