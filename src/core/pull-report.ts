import type { ErrorCode } from './errors.js';

/** What witnessing a peer's checkpoint after a pull found (PROTOCOL "Transparency"). */
export type WitnessOutcome =
  | { readonly status: 'cosigned'; readonly size: number }
  | { readonly status: 'frozen' | 'equivocation' | 'rollback' | 'unavailable' | 'invalid'; readonly detail: string };

/** The outcome of one pull of a peer's feed, as the operator API and `spamx pull` show it. */
export interface PullReport {
  readonly peer: string;
  readonly ok: boolean;
  /** Base URL the batches came from (the publisher or one of its mirrors). */
  readonly source: string | null;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly batches: number;
  readonly listed: number;
  readonly delisted: number;
  readonly refused: number;
  readonly durationMs: number;
  /** What witnessing the peer's checkpoint after the pull found (PROTOCOL "Transparency"). */
  readonly witness?: WitnessOutcome;
  /** Sources tried before the one that answered (or all of them, when none did). */
  readonly failedSources: readonly { readonly source: string; readonly code: ErrorCode; readonly message: string }[];
  readonly error?: { readonly code: ErrorCode; readonly message: string; readonly seq: number | null };
}
