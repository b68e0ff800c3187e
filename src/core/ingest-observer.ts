import type { ErrorCode } from './errors.js';
import type { PullReport } from './pull-report.js';

/**
 * What ingest tells whoever watches it (the serving node's metrics, src/serve/metrics/): typed
 * here so that ingest never imports serve. Each call is made once per pull or per batch, never
 * per entry, and must not throw.
 */
export interface IngestObserver {
  /** A pull of a peer ended, whatever its outcome (its report's `error.code`, or ok). */
  pullEnded(report: PullReport): void;
  /** A pulled batch's JWS checks and signature passed on the feed-reader thread, taking `ms`. */
  batchVerified(publisher: string, ms: number): void;
  /**
   * A pulled batch was stored (committed): `ms` from its `begin` to the commit (its payload
   * decoded and checked meanwhile on the reader thread, its entries merged here), what it listed
   * and delisted, and its refused entries by code.
   */
  batchApplied(publisher: string, ms: number, applied: { readonly listed: number; readonly delisted: number }, refused: ReadonlyMap<ErrorCode, number>): void;
}
