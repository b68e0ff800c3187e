import { and, desc, eq, lte, max, ne } from 'drizzle-orm';
import { alias, union, unionAll } from 'drizzle-orm/sqlite-core';
import type { Store } from './open-store.js';
import { checkpoints, cosignatures, witnessState } from './schema.js';

/**
 * The signed notes this node holds of `publisher`'s newest checkpoint no larger than `maxSize`:
 * its own checkpoint (`checkpoints`), the one it trusts as a witness (`witness_state`), and the
 * newest cosigned view of each witness (`cosignatures`: its own and those collected from
 * partners; a witness cosigns again on every pull, and older lines of the same size add nothing).
 * Cold (an evidence bundle is built once), on drizzle's query builder; each is one statement.
 */
export function heldCheckpointNotes(store: Store, publisher: string, maxSize: number): { size: number; notes: string[] } | undefined {
  const { orm } = store;
  const sizes = unionAll(
    orm
      .select({ size: max(checkpoints.size).as('size') })
      .from(checkpoints)
      .where(and(eq(checkpoints.publisher, publisher), lte(checkpoints.size, maxSize))),
    orm
      .select({ size: max(cosignatures.size).as('size') })
      .from(cosignatures)
      .where(and(eq(cosignatures.publisher, publisher), lte(cosignatures.size, maxSize))),
    orm
      .select({ size: witnessState.trustedSize })
      .from(witnessState)
      .where(and(eq(witnessState.publisher, publisher), lte(witnessState.trustedSize, maxSize), ne(witnessState.trustedNote, ''))),
  ).as('sizes');
  // max() of a subquery's column comes back untyped; its values are the integer sizes (or null).
  const size: number | null = orm.select({ size: max(sizes.size).mapWith(Number) }).from(sizes).get()?.size ?? null;
  if (size === null) return undefined;

  const own = orm
    .select({ note: checkpoints.note })
    .from(checkpoints)
    .where(and(eq(checkpoints.publisher, publisher), eq(checkpoints.size, size)))
    .orderBy(desc(checkpoints.id))
    .limit(1)
    .as('own');
  const d = alias(cosignatures, 'd');
  const newestOfWitness = orm
    .select({ id: d.id })
    .from(d)
    .where(and(eq(d.publisher, cosignatures.publisher), eq(d.witness, cosignatures.witness), eq(d.size, cosignatures.size)))
    .orderBy(desc(d.timestamp), desc(d.id))
    .limit(1);
  const notes = union(
    orm.select({ note: own.note }).from(own),
    orm
      .select({ note: witnessState.trustedNote })
      .from(witnessState)
      .where(and(eq(witnessState.publisher, publisher), eq(witnessState.trustedSize, size))),
    orm
      .select({ note: cosignatures.note })
      .from(cosignatures)
      .where(and(eq(cosignatures.publisher, publisher), eq(cosignatures.size, size), eq(cosignatures.id, newestOfWitness))),
  ).all();
  return { size, notes: notes.map((n) => n.note) };
}
