import type { Logger } from 'pino';
import { describeError } from '../core/errors.js';
import type { PrefixSet } from '../core/prefix-set.js';
import { DAY_MS } from '../core/time.js';
import { advanceConsoleCounters } from './console-counters.js';
import { pruneChanges } from './effective-query.js';
import type { Store } from './open-store.js';
import { lastPendingId, projectExpired, projectPending, prunePendingKeys } from './projector.js';

export interface ProjectionDeps {
  readonly store: Store;
  readonly log: Logger;
  readonly clock: () => number;
  readonly changesRetentionDays: number;
  readonly allowlist: () => PrefixSet;
  /** True while pulls apply batches: projecting between them would take their thread. */
  readonly busy: () => boolean;
  /** The last `pending_keys` id the read models reflect (undefined: no read models). */
  readonly followed: () => number | undefined;
  /** The effective list changed: read models catch up, the WAL is checkpointed. */
  readonly projected: () => void;
}

/**
 * Keeps the effective list (what subscribers see) in step with the store: the keys applied
 * batches touched, listings that expired by now, and old changes past retention
 * (store/projector.ts does the work). Runs on the next turn after a write (`soon`), and before
 * every read of the effective list (`now`), which then costs nothing while nothing changed.
 */
export class Projection {
  private scheduled = false;
  private localChange = true;
  private nextExpiryDue = -Infinity;
  private lastPrune = 0;
  private lastProjection: number;
  private projectedStamp = '';
  private stampCheckedAt = -Infinity;

  constructor(private readonly deps: ProjectionDeps) {
    this.lastProjection = deps.clock();
  }

  /** The store's state as last projected: what answers read from it depend on. */
  get stamp(): string {
    return this.projectedStamp;
  }

  /** This process wrote something a read may show (refusals, an allowlist edit). */
  markChanged(): void {
    this.localChange = true;
  }

  /** Brings the effective list up to date now. */
  now(): void {
    const { store, clock, log } = this.deps;
    if (!store.db.open) return;
    const now = clock();
    const idle = now < this.nextExpiryDue && now - this.lastPrune <= 3_600_000;
    // Read paths call this on every request. Writes by this process mark `localChange`; those
    // of other processes (CLI commands) are looked for at most every 100 ms, which spares busy
    // lookups a statement each.
    const tick = performance.now();
    if (idle && !this.localChange && tick - this.stampCheckedAt < 100) return;
    this.stampCheckedAt = tick;
    this.localChange = false;
    // Nothing written anywhere since the last projection and no expiry due: nothing to do.
    if (idle && storeStamp(store) === this.projectedStamp) return;
    const rules = { allowlist: this.deps.allowlist() };
    const pending = projectPending(store, now, rules);
    const expired = projectExpired(store, now, rules);
    if (pending.changes + expired.changes > 0) {
      log.debug({ keys: pending.keys + expired.keys, changes: pending.changes + expired.changes }, 'effective list projected');
      this.deps.projected();
    }
    if (pending.keys > 0) this.prunePendingKeys();
    // The console's counters follow the logs just written, before old changes are pruned. They
    // are a view: a failure is logged and retried on the next projection, never fails a read.
    try {
      advanceConsoleCounters(store);
    } catch (err) {
      log.error({ err: describeError(err) }, 'console counters not advanced');
    }
    if (now - this.lastPrune > 3_600_000) {
      this.lastPrune = now;
      pruneChanges(store, now - this.deps.changesRetentionDays * DAY_MS);
    }
    this.nextExpiryDue = nextExpiry(store);
    this.lastProjection = now;
    this.projectedStamp = storeStamp(store);
  }

  /** `now()` on the next turn of the event loop, once however often it is asked for. */
  soon(): void {
    this.localChange = true;
    // While pulls apply batches the projection waits (it would take the main thread between
    // batches), unless it has waited half a minute; reads still project on demand.
    if (this.deps.busy() && this.deps.clock() - this.lastProjection < 30_000) return;
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      try {
        this.now();
      } catch (err) {
        this.deps.log.error({ err: describeError(err) }, 'projection failed');
      }
    });
  }

  /**
   * Projected `pending_keys` rows are the log the read models follow: they are kept until the
   * models have read them, unless they lag by more than 50 batches, when it is cheaper for the
   * models to start again from a snapshot.
   */
  private prunePendingKeys(): void {
    const { store } = this.deps;
    const position = this.deps.followed();
    const newest = lastPendingId(store);
    prunePendingKeys(store, position !== undefined && newest - position <= 50 ? position : newest);
  }
}

/**
 * Changes whenever any connection commits to the store: total_changes() counts this
 * connection's writes, data_version moves when another process (a CLI command) commits.
 */
function storeStamp(store: Store): string {
  const { t, d } = store.prepare('SELECT total_changes() AS t, data_version AS d FROM pragma_data_version()').get() as { t: number; d: number };
  return `${t}:${d}`;
}

/** When the earliest active source of any served piece expires (Infinity: none). */
function nextExpiry(store: Store): number {
  return (store.prepare('SELECT min(next_expiry) FROM effective').pluck().get() as number | null) ?? Infinity;
}
