import { count, desc, eq, max, min } from 'drizzle-orm';
import type { Store } from './open-store.js';
import { batches, checkpoints, cosignatures, keyStatements } from './schema.js';

/*
 * What the console's peers page shows of a partner's feed beyond the status report (cold: a few
 * indexed reads per partner per page view), on drizzle's query builder.
 */

export interface PeerFeedFacts {
  /** The newest batch of the feed held here. */
  readonly newestBatch: { readonly seq: number; readonly issuedAt: number; readonly receivedAt: number; readonly kid: string } | null;
  /** The largest size of the feed this node knows of: its checkpoints and any witness's cosignature. */
  readonly knownSize: number;
  /** The key statements held, in order, with when each arrived. */
  readonly statements: readonly { readonly statement: number; readonly receivedAt: number }[];
  /** Each key that signed batches held here, with the seq range and times of those batches, oldest first. */
  readonly signers: readonly { readonly kid: string; readonly firstSeq: number; readonly lastSeq: number; readonly batches: number; readonly firstIssuedAt: number; readonly lastIssuedAt: number }[];
}

export function peerFeedFacts(store: Store, publisher: string): PeerFeedFacts {
  const newest = store.orm
    .select({ seq: batches.seq, issuedAt: batches.issuedAt, receivedAt: batches.receivedAt, kid: batches.kid })
    .from(batches)
    .where(eq(batches.publisher, publisher))
    .orderBy(desc(batches.seq))
    .limit(1)
    .get();
  const checkpointed = store.orm.select({ size: max(checkpoints.size) }).from(checkpoints).where(eq(checkpoints.publisher, publisher)).get()?.size ?? 0;
  const cosigned = store.orm.select({ size: max(cosignatures.size) }).from(cosignatures).where(eq(cosignatures.publisher, publisher)).get()?.size ?? 0;
  const statements = store.orm
    .select({ statement: keyStatements.statement, receivedAt: keyStatements.receivedAt })
    .from(keyStatements)
    .where(eq(keyStatements.publisher, publisher))
    .orderBy(keyStatements.statement)
    .all();
  const signers = store.orm
    .select({
      kid: batches.kid,
      firstSeq: min(batches.seq).mapWith(Number),
      lastSeq: max(batches.seq).mapWith(Number),
      batches: count(),
      firstIssuedAt: min(batches.issuedAt).mapWith(Number),
      lastIssuedAt: max(batches.issuedAt).mapWith(Number),
    })
    .from(batches)
    .where(eq(batches.publisher, publisher))
    .groupBy(batches.kid)
    .orderBy(min(batches.seq))
    .all();
  return {
    signers,
    newestBatch: newest ?? null,
    knownSize: Math.max(newest?.seq ?? 0, checkpointed, cosigned),
    statements,
  };
}
