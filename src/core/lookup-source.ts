import type { AddressFacts } from './lookup-index.js';
import type { Prefix } from './prefix.js';

export type SourceState = 'active' | 'expired' | 'delisted';

/**
 * Where a lookup's facts come from: the daemon's in-memory LookupIndex (read/change-follower.ts)
 * or, for a one-off lookup from the CLI, SQLite directly. Both give the same answer.
 */
export interface LookupSource {
  facts(address: Prefix): AddressFacts;
  /** The leaf hash of a stored batch (batches never change, so it may be cached). */
  leafHash(publisher: string, seq: number): string | null;
  /** The newest refusals (at most 20) naming any of these prefixes. */
  refusals(prefixes: readonly Prefix[]): RefusalRow[];
}

export interface RefusalRow {
  readonly publisher: string;
  readonly seq: number | null;
  readonly prefix: string;
  readonly code: string;
  readonly reason: string;
  readonly at: number;
}

