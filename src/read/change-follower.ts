import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from 'pino';
import { describeError } from '../core/errors.js';
import { parsePrefix } from '../core/prefix.js';
import type { Store } from '../store/open-store.js';
import {
  changesAfterWithPieces,
  listingsOf,
  logPositions,
  pendingKeysAfter,
  prunedPast,
  refusalsAfter,
  type LogPositions,
} from '../store/read-logs.js';
import { buildSnapshot, type ReadModels } from './read-snapshot.js';

export type { ReadModels } from './read-snapshot.js';

/** Log rows (or touched keys) applied per step; the event loop, and so DNS, gets a turn between. */
const PAGE = 5_000;

/**
 * How far behind the models may be for a lookup to catch them up on its own turn. Past it (a
 * pulled history: a million changes) the lookup reads SQLite, correct and slower, while the
 * catch-up goes on a page per turn: the node never stops answering for seconds.
 */
const SYNC_BACKLOG = { changes: 20_000, pending: 8 };

export interface ChangeFollowerOptions {
  readonly dnsbl: boolean;
  /** How often other processes' commits (`spamx pull` beside `spamx serve`) are looked for. */
  readonly pollMs?: number;
}

/**
 * The one follower of the store that every in-memory read model uses. It builds the models from
 * one consistent snapshot when the node starts (on a connection of its own, a page at a time, so
 * the node answers `/healthz` meanwhile), then moves them forward along three logs by id:
 * - `changes`: the effective list's change log; each piece's current row is re-read, so applying
 *   them in order leaves the models equal to `effective` even when a piece came and went;
 * - `pending_keys`: every applied batch writes the keys it touched there, in the same
 *   transaction as the listings; each key's rows are re-read;
 * - `refusals`: append-only.
 * It polls, is nudged right after this node projects (`refresh`), and catches up at once when a
 * lookup asks (`syncNow`). A log pruned past its position sends it back to a fresh snapshot,
 * built beside the models still served.
 */
export class ChangeFollower {
  private current: ReadModels | undefined;
  private at: LogPositions = { changes: 0, pending: 0, refusals: 0 };
  private stamp: string | undefined;
  private rebuilding: Promise<void> | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  /** The `pending_keys` row being applied, when it held more keys than one step takes. */
  private partial: { id: number; keys: string[]; next: number } | undefined;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly options: ChangeFollowerOptions,
  ) {}

  /** The models, once built; undefined while the node starts. */
  get models(): ReadModels | undefined {
    return this.current;
  }

  /** True while the models lag behind a pruned log and a fresh snapshot is being built. */
  get rebuildingSnapshot(): boolean {
    return this.rebuilding !== undefined;
  }

  /** The last change id the models reflect: the DNSBL zone's SOA serial. */
  get serial(): number {
    return this.at.changes;
  }

  /** The last `pending_keys` id the models reflect, or undefined before they are built. */
  get pendingPosition(): number | undefined {
    return this.current ? this.at.pending : undefined;
  }

  /** Builds the models from a snapshot, catches up, and starts polling. */
  async start(): Promise<void> {
    await this.rebuild();
    this.timer = setInterval(() => this.refresh(), this.options.pollMs ?? 500);
    this.timer.unref();
  }

  /**
   * Catches the models up with every committed row, now, on this turn of the event loop (a
   * lookup must never answer from behind what the node just projected). Skipped while `stamp`,
   * the store's state as the caller last saw it, has not moved.
   */
  syncNow(stamp: string): ReadModels | undefined {
    if (!this.current || this.rebuilding) return undefined;
    if (stamp === this.stamp) return this.current;
    const newest = logPositions(this.store);
    if (this.partial || newest.changes - this.at.changes > SYNC_BACKLOG.changes || newest.pending - this.at.pending > SYNC_BACKLOG.pending) {
      this.refresh();
      return undefined;
    }
    this.store.db.transaction(() => {
      while (this.step()) {
        /* until every log is read */
      }
    })();
    if (!this.rebuilding) this.stamp = stamp;
    return this.rebuilding ? undefined : this.current;
  }

  /** Catch up soon, a page per turn of the event loop (or as soon as the catch-up under way ends). */
  refresh(): void {
    if (this.stopped || !this.current) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.catchUp()
      .catch((err: unknown) => this.log.error({ err: describeError(err) }, 'read models not updated'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.refresh();
        }
      });
  }

  /** Waits until the models reflect every change committed before this call. */
  async settled(): Promise<void> {
    this.refresh();
    while (this.running || this.rebuilding) await (this.running ?? this.rebuilding);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    await this.rebuilding;
  }

  private async catchUp(): Promise<void> {
    while (!this.stopped && this.store.db.open && !this.rebuilding) {
      if (!this.store.db.transaction(() => this.step())()) return;
      await nextTurn();
    }
  }

  /** Applies one page of each log; false when there was nothing left to read. */
  private step(): boolean {
    const models = this.current!;
    if (prunedPast(this.store, this.at)) {
      this.log.warn({ at: this.at }, 'read models behind a pruned log; rebuilding from a snapshot');
      void this.rebuild();
      return false;
    }
    const changes = changesAfterWithPieces(this.store, this.at.changes, PAGE);
    for (const { id, key, sources, expires, tlp } of changes) {
      // A piece gone by now is left out: a later change in the log removes it.
      if (sources === null || expires === null) {
        models.dnsbl?.delete(key);
        models.lookup.deletePiece(key);
      } else {
        models.dnsbl?.set(key, sources, tlp ?? undefined);
        models.lookup.setPiece(key, { sources, expires, tlp: tlp ?? undefined });
      }
      this.at = { ...this.at, changes: id };
    }
    // One batch touches up to 100,000 keys: a step re-reads at most PAGE of them.
    if (!this.partial) {
      const [row] = pendingKeysAfter(this.store, this.at.pending, 1);
      if (row) this.partial = { id: row[0], keys: [...new Set(row[1].split('\n'))], next: 0 };
    }
    const pending = this.partial;
    if (pending) {
      const end = Math.min(pending.keys.length, pending.next + PAGE);
      for (let i = pending.next; i < end; i++) {
        const key = pending.keys[i]!;
        if (key) models.lookup.setListings(key, listingsOf(this.store, key));
      }
      pending.next = end;
      if (end === pending.keys.length) {
        this.at = { ...this.at, pending: pending.id };
        this.partial = undefined;
      }
    }
    const refusals = refusalsAfter(this.store, this.at.refusals, PAGE);
    for (const [id, prefix] of refusals) {
      const parsed = prefix === null ? undefined : parsePrefix(prefix);
      if (parsed?.ok) models.lookup.addRefusal(parsed.prefix.key);
      this.at = { ...this.at, refusals: id };
    }
    return changes.length === PAGE || pending !== undefined || refusals.length === PAGE;
  }

  /** A fresh snapshot built beside the models in use, swapped in whole, then caught up. */
  private rebuild(): Promise<void> {
    this.rebuilding ??= (async () => {
      const started = performance.now();
      const built = await buildSnapshot(this.store, { dnsbl: this.options.dnsbl }, () => this.stopped);
      if (this.stopped) return;
      this.current = built.models;
      this.at = built.positions;
      this.partial = undefined;
      this.stamp = undefined;
      const { dnsbl, lookup } = built.models;
      this.log.info({ listings: lookup.size, pieces: dnsbl?.size, ms: Math.round(performance.now() - started) }, 'read models built');
    })().finally(() => {
      this.rebuilding = undefined;
      this.refresh();
    });
    return this.rebuilding;
  }
}
