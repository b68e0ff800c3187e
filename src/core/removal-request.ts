/**
 * A listed party's request to be removed (PROTOCOL "Additions: console"): stored as sent, never
 * acted on by itself. The operator accepts it (a delist of the address is queued for this node's
 * next batch) or rejects it.
 */
export interface RemovalRequest {
  /** Random and unguessable: what the requester is given back. */
  readonly id: string;
  readonly address: string;
  readonly contact: string;
  readonly message: string;
  /** ms since the epoch. */
  readonly createdAt: number;
  readonly status: 'open' | 'accepted' | 'rejected';
  readonly decidedAt: number | null;
  readonly decisionNote: string | null;
}

export type RemovalDecision = 'accept' | 'reject';
