import { writeTransaction, type Store } from './open-store.js';

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

const COLUMNS = `peer, last_attempt_at AS lastAttemptAt, last_success_at AS lastSuccessAt, last_source AS lastSource,
  last_error_code AS lastErrorCode, last_error AS lastError, last_error_at AS lastErrorAt, failures,
  next_attempt_at AS nextAttemptAt`;

export function peerState(store: Store, peer: string): PeerState {
  const row = store.prepare(`SELECT ${COLUMNS} FROM peer_state WHERE peer = ?`).get(peer) as PeerState | undefined;
  return row ?? { peer, lastAttemptAt: null, lastSuccessAt: null, lastSource: null, lastErrorCode: null, lastError: null, lastErrorAt: null, failures: 0, nextAttemptAt: null };
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
    store.prepare('INSERT INTO peer_state (peer) VALUES (?) ON CONFLICT (peer) DO NOTHING').run(peer);
    const held = store.prepare('SELECT lease_owner AS owner, lease_until AS until FROM peer_state WHERE peer = ?').get(peer) as {
      owner: string | null;
      until: number | null;
    };
    if (held.owner !== null && held.owner !== owner && (held.until ?? 0) >= now && !isAbandoned(held.owner)) return false;
    store.prepare('UPDATE peer_state SET lease_owner = ?, lease_until = ?, last_attempt_at = ? WHERE peer = ?').run(owner, until, now, peer);
    return true;
  });
}

/** Extends a lease this owner holds (a long pull renews it once a third of it has passed: pull-peer.ts). */
export function renewPullLease(store: Store, peer: string, owner: string, until: number): void {
  store.prepare('UPDATE peer_state SET lease_until = ? WHERE peer = ? AND lease_owner = ?').run(until, peer, owner);
}

export function releasePullLease(store: Store, peer: string, owner: string): void {
  store.prepare('UPDATE peer_state SET lease_owner = NULL, lease_until = NULL WHERE peer = ? AND lease_owner = ?').run(peer, owner);
}

export function recordPullSuccess(store: Store, peer: string, source: string, now: number): void {
  store
    .prepare(
      `UPDATE peer_state SET last_success_at = ?, last_source = ?, failures = 0, next_attempt_at = NULL,
         last_error_code = NULL, last_error = NULL WHERE peer = ?`,
    )
    .run(now, source, peer);
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
    store.prepare('INSERT INTO peer_state (peer) VALUES (?) ON CONFLICT (peer) DO NOTHING').run(peer);
    const failures = (store.prepare('SELECT failures FROM peer_state WHERE peer = ?').pluck().get(peer) as number) + 1;
    store
      .prepare(
        `UPDATE peer_state SET failures = ?, last_error_code = ?, last_error = ?, last_error_at = ?,
           next_attempt_at = ?, last_source = coalesce(?, last_source) WHERE peer = ?`,
      )
      .run(failures, failure.code, failure.message, now, nextAttemptAt(failures), failure.source, peer);
    store
      .prepare('INSERT INTO pull_failures (peer, at, source, seq, code, message) VALUES (?, ?, ?, ?, ?, ?)')
      .run(peer, now, failure.source, failure.seq, failure.code, failure.message);
    return failures;
  });
}

export function recentPullFailures(store: Store, peer: string | null, limit: number) {
  return store
    .prepare(
      `SELECT peer, at, source, seq, code, message FROM pull_failures
       WHERE (@peer IS NULL OR peer = @peer) ORDER BY id DESC LIMIT @limit`,
    )
    .all({ peer, limit }) as { peer: string; at: number; source: string | null; seq: number | null; code: string; message: string }[];
}
