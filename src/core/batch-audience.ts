import { TLP_GREEN } from './tlp.js';

/**
 * Who asked for a batch (serve/partner-access.ts decides): this node's operator (its bearer
 * token), a pinned partner (a verified RFC 9421 signature by one of its keys), or anyone else.
 */
export type Requester = { readonly kind: 'operator' } | { readonly kind: 'partner'; readonly id: string } | { readonly kind: 'anonymous' };

/** What the rule needs of a stored batch: whose feed, its label's rank, and a sealed batch's recipients. */
export interface BatchAudienceFacts {
  readonly publisher: string;
  readonly tlp: number;
  /** A sealed batch's recipients; null for an open batch. */
  readonly recipients: readonly string[] | null;
}

/**
 * May this node hand this stored batch to this requester (issue 16, items 2 and 3)? The
 * federation access mode (`partners` or `public`) has already decided whether the requester may
 * download batches at all; this rule narrows it per batch:
 * - the operator gets everything;
 * - an open clear/green batch goes to anyone the access mode lets in;
 * - on the publisher's own feed, an open amber/amber+strict/red batch goes to pinned partners
 *   only (a signed request) — whatever the access mode, since a `public` node still never hands
 *   a restricted label to a stranger — and a sealed batch goes to anyone the mode lets in: its
 *   content is ciphertext, and every reader needs it to follow the chain and check proofs;
 * - on a mirrored feed (another centre's batches re-served here), a restricted open batch goes
 *   to its publisher only (TLP 2.0: amber and above are not passed on to third parties) and a
 *   sealed batch to its recipients and publisher only. A reader refused a mirrored batch fetches
 *   it from the publisher, which serves its whole log to its partners.
 */
export function mayServeBatch(batch: BatchAudienceFacts, self: string, requester: Requester): boolean {
  if (requester.kind === 'operator') return true;
  const partner = requester.kind === 'partner' ? requester.id : undefined;
  if (batch.publisher === self) {
    if (batch.recipients !== null) return true;
    return batch.tlp <= TLP_GREEN || partner !== undefined;
  }
  if (partner === batch.publisher) return true;
  if (batch.recipients !== null) return partner !== undefined && batch.recipients.includes(partner);
  return batch.tlp <= TLP_GREEN;
}

/** A stored `recipients` column (space-separated ids, or null) as a list. */
export function recipientsOf(column: string | null): string[] | null {
  return column === null || column === '' ? null : column.split(' ');
}
