import { SpamxError } from '../core/errors.js';
import { applyStatement, EMPTY_KEY_HISTORY, type KeyHistory } from '../core/key-history.js';
import { storedStatementPayload } from '../core/key-statement.js';
import type { Store } from './open-store.js';

export interface StoredStatement {
  readonly statement: number;
  readonly payloadHash: string;
  /** RFC 7515 §7.2.1 General JWS JSON text, as served. */
  readonly jws: string;
}

/** A publisher's key statements held here, in order. */
export function heldStatements(store: Store, publisher: string): StoredStatement[] {
  return store
    .prepare('SELECT statement, payload_hash AS payloadHash, jws FROM key_statements WHERE publisher = ? ORDER BY statement')
    .all(publisher) as StoredStatement[];
}

/** The key history the held statements make (they were verified when stored). */
export function keyHistoryOf(store: Store, publisher: string): KeyHistory {
  return heldStatements(store, publisher).reduce((h, s) => applyStatement(h, storedStatementPayload(s.jws), s.payloadHash), EMPTY_KEY_HISTORY);
}

/** The key the publisher signs with now, by its statements; undefined before any statement. */
export function currentKid(store: Store, publisher: string): string | undefined {
  const jws = store.prepare('SELECT jws FROM key_statements WHERE publisher = ? ORDER BY statement DESC LIMIT 1').pluck().get(publisher) as string | undefined;
  return jws === undefined ? undefined : storedStatementPayload(jws).keys[0]!.kid;
}

/**
 * Appends verified statements, which must continue what is held: call it in the transaction that
 * re-read the held ones. A statement already held with the same payload is skipped; one held
 * with a different payload means two signed histories of one publisher's keys.
 */
export function saveStatements(
  store: Store,
  publisher: string,
  statements: readonly { statement: number; payloadHash: string; jws: string }[],
  now: number,
): number {
  let saved = 0;
  for (const s of statements) {
    const held = store.prepare('SELECT payload_hash FROM key_statements WHERE publisher = ? AND statement = ?').pluck().get(publisher, s.statement);
    if (held === s.payloadHash) continue;
    if (held !== undefined) throw new SpamxError('KEYS_CHAIN_BROKEN', `key statement ${s.statement} of ${publisher} differs from the one held`);
    store
      .prepare('INSERT INTO key_statements (publisher, statement, payload_hash, jws, received_at) VALUES (?, ?, ?, ?, ?)')
      .run(publisher, s.statement, s.payloadHash, s.jws, now);
    saved++;
  }
  return saved;
}

/** The highest seq of a publisher's held batches signed by `kid`, or null. */
export function lastSeqSignedBy(store: Store, publisher: string, kid: string): number | null {
  return store.prepare('SELECT max(seq) FROM batches WHERE publisher = ? AND kid = ?').pluck().get(publisher, kid) as number | null;
}
