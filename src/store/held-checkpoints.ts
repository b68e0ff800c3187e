import type { Store } from './open-store.js';

/**
 * The signed notes this node holds of `publisher`'s newest checkpoint no larger than `maxSize`:
 * its own checkpoint (`checkpoints`), the one it trusts as a witness (`witness_state`), and the
 * newest cosigned view of each witness (`cosignatures`: its own and those collected from
 * partners; a witness cosigns again on every pull, and older lines of the same size add nothing).
 */
export function heldCheckpointNotes(store: Store, publisher: string, maxSize: number): { size: number; notes: string[] } | undefined {
  const args = { publisher, maxSize };
  const size = store
    .prepare(
      `SELECT max(size) FROM (
         SELECT max(size) AS size FROM checkpoints WHERE publisher = @publisher AND size <= @maxSize
         UNION ALL SELECT max(size) FROM cosignatures WHERE publisher = @publisher AND size <= @maxSize
         UNION ALL SELECT trusted_size FROM witness_state WHERE publisher = @publisher AND trusted_size <= @maxSize AND trusted_note <> '')`,
    )
    .pluck()
    .get(args) as number | null;
  if (size === null) return undefined;
  const notes = store
    .prepare(
      `SELECT note FROM (SELECT note FROM checkpoints WHERE publisher = @publisher AND size = @size ORDER BY id DESC LIMIT 1)
       UNION SELECT trusted_note FROM witness_state WHERE publisher = @publisher AND trusted_size = @size
       UNION SELECT note FROM cosignatures c WHERE publisher = @publisher AND size = @size
         AND id = (SELECT id FROM cosignatures d WHERE d.publisher = c.publisher AND d.witness = c.witness AND d.size = c.size
                   ORDER BY timestamp DESC, id DESC LIMIT 1)`,
    )
    .pluck()
    .all({ publisher, size }) as string[];
  return { size, notes };
}
