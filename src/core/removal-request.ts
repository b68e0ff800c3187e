import { parsePrefix } from './prefix.js';

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

/**
 * The canonical text of one IP address (no length, IPv6 compressed as RFC 5952 §4), or
 * undefined when `text` is not one address: what requests are stored and counted under.
 */
export function canonicalAddress(text: string): string | undefined {
  const parsed = parsePrefix(text.trim());
  if (!parsed.ok || text.includes('/')) return undefined;
  if (parsed.prefix.length !== (parsed.prefix.family === 4 ? 32 : 128)) return undefined;
  return parsed.prefix.text.slice(0, parsed.prefix.text.lastIndexOf('/'));
}
