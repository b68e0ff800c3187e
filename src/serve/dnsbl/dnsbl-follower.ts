import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from 'pino';
import { describeError } from '../../core/errors.js';
import { changesWithSources, readEffectiveSnapshot } from '../../store/effective-feed.js';
import { prunedThrough } from '../../store/effective-query.js';
import type { Store } from '../../store/open-store.js';
import { DnsblIndex } from './dnsbl-index.js';

/** Changes applied per read; the event loop (and so DNS) gets a turn between pages. */
const PAGE = 5_000;

/**
 * Keeps a DnsblIndex equal to the store's effective list: built from one snapshot, then moved
 * forward along the `changes` log by id, so a DNS query never waits on SQLite. It polls (other
 * processes, such as `spamx pull` beside `spamx serve`, also project into the store) and is
 * nudged right after this node projects. An `added` or `updated` change re-reads the piece's
 * current sources; a piece gone by then is left out, since a later `removed` says so.
 */
export class DnsblFollower {
  private current = new DnsblIndex();
  private applied = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly pollMs = 500,
  ) {}

  get index(): DnsblIndex {
    return this.current;
  }

  /** The last change id the index reflects: the zone's SOA serial. */
  get serial(): number {
    return this.applied;
  }

  start(): void {
    this.rebuild();
    this.timer = setInterval(() => this.refresh(), this.pollMs);
    this.timer.unref();
  }

  /** Catch up with the change log now (or as soon as the catch-up under way ends). */
  refresh(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.catchUp()
      .catch((err: unknown) => this.log.error({ err: describeError(err) }, 'DNSBL index not updated'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.refresh();
        }
      });
  }

  /** Waits until the index has caught up with every change committed before this call. */
  async settled(): Promise<void> {
    this.refresh();
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  private rebuild(): void {
    const index = new DnsblIndex();
    this.applied = readEffectiveSnapshot(this.store, (key, sources) => index.set(key, sources));
    this.current = index;
  }

  private async catchUp(): Promise<void> {
    for (;;) {
      if (this.stopped || !this.store.db.open) return;
      // Changes we have not seen were pruned (the node was stopped past retention, or the log
      // was cut by another process): only a fresh snapshot is complete.
      if (this.applied < prunedThrough(this.store)) {
        this.log.warn({ applied: this.applied }, 'DNSBL index behind the pruned change log; rebuilding');
        this.rebuild();
      }
      const page = changesWithSources(this.store, this.applied, PAGE);
      for (const change of page) {
        if (change.op === 'removed' || change.sources === null) this.current.delete(change.key);
        else this.current.set(change.key, change.sources);
        this.applied = change.id;
      }
      if (page.length < PAGE) return;
      await nextTurn();
    }
  }
}
