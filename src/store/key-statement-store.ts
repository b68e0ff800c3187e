import { and, desc, eq, max } from 'drizzle-orm';
import { SpamxError } from '../core/errors.js';
import { applyStatement, EMPTY_KEY_HISTORY, type KeyHistory } from '../core/key-history.js';
import { storedStatementPayload } from '../core/key-statement.js';
import type { Store } from './open-store.js';
import { batches, keyStatements } from './schema.js';

/* Key statements held here (cold: read once per pull, publish or request), on drizzle's query builder. */

export interface StoredStatement {
  readonly statement: number;
  readonly payloadHash: string;
  /** RFC 7515 §7.2.1 General JWS JSON text, as served. */
  readonly jws: string;
}

/** A publisher's key statements held here, in order. */
export function heldStatements(store: Store, publisher: string): StoredStatement[] {
  return store.orm
    .select({ statement: keyStatements.statement, payloadHash: keyStatements.payloadHash, jws: keyStatements.jws })
    .from(keyStatements)
    .where(eq(keyStatements.publisher, publisher))
    .orderBy(keyStatements.statement)
    .all();
}

/** The key history the held statements make (they were verified when stored). */
export function keyHistoryOf(store: Store, publisher: string): KeyHistory {
  return heldStatements(store, publisher).reduce((h, s) => applyStatement(h, storedStatementPayload(s.jws), s.payloadHash), EMPTY_KEY_HISTORY);
}

/** The key the publisher signs with now, by its statements; undefined before any statement. */
export function currentKid(store: Store, publisher: string): string | undefined {
  const jws = store.orm
    .select({ jws: keyStatements.jws })
    .from(keyStatements)
    .where(eq(keyStatements.publisher, publisher))
    .orderBy(desc(keyStatements.statement))
    .limit(1)
    .get()?.jws;
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
    const held = store.orm
      .select({ payloadHash: keyStatements.payloadHash })
      .from(keyStatements)
      .where(and(eq(keyStatements.publisher, publisher), eq(keyStatements.statement, s.statement)))
      .get()?.payloadHash;
    if (held === s.payloadHash) continue;
    if (held !== undefined) throw new SpamxError('KEYS_CHAIN_BROKEN', `key statement ${s.statement} of ${publisher} differs from the one held`);
    store.orm
      .insert(keyStatements)
      .values({ publisher, statement: s.statement, payloadHash: s.payloadHash, jws: s.jws, receivedAt: now })
      .run();
    saved++;
  }
  return saved;
}

/** The highest seq of a publisher's held batches signed by `kid`, or null. */
export function lastSeqSignedBy(store: Store, publisher: string, kid: string): number | null {
  return store.orm
    .select({ seq: max(batches.seq) })
    .from(batches)
    .where(and(eq(batches.publisher, publisher), eq(batches.kid, kid)))
    .get()!.seq;
}
