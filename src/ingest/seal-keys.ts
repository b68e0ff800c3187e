import type { EncKey } from '../core/key-statement.js';
import { storedStatementPayload } from '../core/key-statement.js';
import { SpamxError } from '../core/errors.js';
import { heldStatements } from '../store/key-statement-store.js';
import type { Store } from '../store/open-store.js';

/**
 * A centre's encryption key in force, as the latest of its statements held here that names one
 * says (PROTOCOL "Additions: partners only"). Statements are stored only after their signatures
 * were verified (ingest/follow-keys.ts), so this is the only source a sealed batch's recipient
 * keys come from: never a descriptor fetched without a signature.
 */
export function statedEncKey(store: Store, centre: string): EncKey | undefined {
  const held = heldStatements(store, centre);
  for (let i = held.length - 1; i >= 0; i--) {
    const enc = storedStatementPayload(held[i]!.jws).enc;
    if (enc) return enc;
  }
  return undefined;
}

/**
 * The encryption keys to seal a batch to, by recipient: each must be a pinned partner whose
 * verified key statements name an encryption key. `pinned` lists the partners this node pins.
 */
export function recipientEncKeys(store: Store, recipients: readonly string[], pinned: readonly string[], self: string): Map<string, EncKey> {
  const keys = new Map<string, EncKey>();
  for (const id of recipients) {
    if (id === self) throw new SpamxError('BAD_REQUEST', `${id} is this node; a sealed batch goes to partners (the publisher keeps its own copy)`);
    if (!pinned.includes(id)) {
      throw new SpamxError('BAD_REQUEST', `"${id}" is not a pinned partner; seal to one of: ${pinned.length > 0 ? [...pinned].sort().join(', ') : '(no partners pinned)'}`);
    }
    const enc = statedEncKey(store, id);
    if (!enc) {
      throw new SpamxError(
        'CONFLICT',
        `no encryption key is known for ${id}: none of its verified key statements names one yet (it needs a spamx version with sealed batches, and one pull of its feed here)`,
      );
    }
    keys.set(id, enc);
  }
  return keys;
}
