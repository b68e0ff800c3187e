import { and, desc, eq } from 'drizzle-orm';
import { writeTransaction, type Store } from './open-store.js';
import { peerState as peerStates, pullFailures } from './schema.js';

/* Pull bookkeeping (cold: a few reads and writes per pull), on drizzle's query builder. */

export interface PeerState {
  readonly peer: string;
  readonly lastAttemptAt: number | null;
  readonly lastSuccessAt: number | null;
  readonly lastSource: string | null;
  readonly lastErrorCode: string | null;
  readonly lastError: string | null;
  readonly lastErrorAt: number | null;
  readonly failures: number;
  readonly nextAttemptAt: number | null;
}

const STATE = {
  peer: peerStates.peer,
  lastAttemptAt: peerStates.lastAttemptAt,
  lastSuccessAt: peerStates.lastSuccessAt,
  lastSource: peerStates.lastSource,
  lastErrorCode: peerStates.lastErrorCode,
  lastError: peerStates.lastError,
  lastErrorAt: peerStates.lastErrorAt,
  failures: peerStates.failures,
  nextAttemptAt: peerStates.nextAttemptAt,
};

export function peerState(store: Store, peer: string): PeerState {
  const row = store.orm.select(STATE).from(peerStates).where(eq(peerStates.peer, peer)).get();
  return row ?? { peer, lastAttemptAt: null, lastSuccessAt: null, lastSource: null, lastErrorCode: null, lastError: null, lastErrorAt: null, failures: 0, nextAttemptAt: null };
}

/** The peer's row, created with its defaults if it has none. */
function ensurePeerRow(store: Store, peer: string): void {
  store.orm.insert(peerStates).values({ peer }).onConflictDoNothing({ target: peerStates.peer }).run();
}

/**
 * Takes the pull lease of a peer for `owner` until `until`, unless another owner holds an
 * unexpired one that `isAbandoned` does not declare dead. The lease lives in the store so a CLI
 * `spamx pull` and the daemon's schedule never pull the same peer at once.
 */
export function acquirePullLease(
  store: Store,
  peer: string,
  owner: string,
  until: number,
  now: number,
  isAbandoned: (holder: string) => boolean,
): boolean {
  return writeTransaction(store, () => {
    ensurePeerRow(store, peer);
    const held = store.orm
      .select({ owner: peerStates.leaseOwner, until: peerStates.leaseUntil })
      .from(peerStates)
      .where(eq(peerStates.peer, peer))
      .get()!;
    if (held.owner !== null && held.owner !== owner && (held.until ?? 0) >= now && !isAbandoned(held.owner)) return false;
    store.orm.update(peerStates).set({ leaseOwner: owner, leaseUntil: until, lastAttemptAt: now }).where(eq(peerStates.peer, peer)).run();
    return true;
  });
}

/** Extends a lease this owner holds (a long pull renews it once a third of it has passed: pull-peer.ts). */
export function renewPullLease(store: Store, peer: string, owner: string, until: number): void {
  store.orm
    .update(peerStates)
    .set({ leaseUntil: until })
    .where(and(eq(peerStates.peer, peer), eq(peerStates.leaseOwner, owner)))
    .run();
}

export function releasePullLease(store: Store, peer: string, owner: string): void {
  store.orm
    .update(peerStates)
    .set({ leaseOwner: null, leaseUntil: null })
    .where(and(eq(peerStates.peer, peer), eq(peerStates.leaseOwner, owner)))
    .run();
}

export function recordPullSuccess(store: Store, peer: string, source: string, now: number): void {
  store.orm
    .update(peerStates)
    .set({ lastSuccessAt: now, lastSource: source, failures: 0, nextAttemptAt: null, lastErrorCode: null, lastError: null })
    .where(eq(peerStates.peer, peer))
    .run();
}

export interface PullFailure {
  readonly code: string;
  readonly message: string;
  readonly seq: number | null;
  readonly source: string | null;
}

/** Records a failed pull; returns the consecutive-failure count including this one. */
export function recordPullFailure(
  store: Store,
  peer: string,
  failure: PullFailure,
  now: number,
  nextAttemptAt: (failures: number) => number,
): number {
  return writeTransaction(store, () => {
    ensurePeerRow(store, peer);
    const failures = store.orm.select({ failures: peerStates.failures }).from(peerStates).where(eq(peerStates.peer, peer)).get()!.failures + 1;
    store.orm
      .update(peerStates)
      .set({
        failures,
        lastErrorCode: failure.code,
        lastError: failure.message,
        lastErrorAt: now,
        nextAttemptAt: nextAttemptAt(failures),
        // A failure before any source answered keeps the last one that did.
        ...(failure.source === null ? {} : { lastSource: failure.source }),
      })
      .where(eq(peerStates.peer, peer))
      .run();
    store.orm
      .insert(pullFailures)
      .values({ peer, at: now, source: failure.source, seq: failure.seq, code: failure.code, message: failure.message })
      .run();
    return failures;
  });
}

export function recentPullFailures(store: Store, peer: string | null, limit: number) {
  return store.orm
    .select({
      peer: pullFailures.peer,
      at: pullFailures.at,
      source: pullFailures.source,
      seq: pullFailures.seq,
      code: pullFailures.code,
      message: pullFailures.message,
    })
    .from(pullFailures)
    .where(peer === null ? undefined : eq(pullFailures.peer, peer))
    .orderBy(desc(pullFailures.id))
    .limit(limit)
    .all();
}
