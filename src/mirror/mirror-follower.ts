import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { backoffDelay, type BackoffRules } from '../core/backoff.js';
import { describeError, isSpamxError } from '../core/errors.js';
import { formatTimestamp } from '../core/time.js';
import { ChangesClient, type ChangesPage } from './changes-client.js';
import { ListedSet } from './listed-set.js';
import { parseRbldnsdHead, prefixRows, rbldnsdEntries, readIfThere, renderRbldnsd, V4_FILE, V6_FILE, writeFileAtomic, type NodeMeta } from './rbldnsd-files.js';

/** The mirror's position in the change stream, kept beside its files so a restart needs no snapshot. */
export const CURSOR_FILE = 'spamx.cursor';

export interface MirrorOptions {
  readonly url: string;
  readonly key: string;
  readonly outDir: string;
  readonly intervalMs: number;
  /** Bring the files up to date once, then return (cron, scripts). */
  readonly once: boolean;
  readonly version: string;
  readonly log: Logger;
  readonly clock?: () => number;
  readonly backoff?: BackoffRules;
}

/** After a failed poll: 1 s, doubling to 5 minutes, jittered (core/backoff.ts). */
const BACKOFF: BackoffRules = { baseMs: 1_000, maxMs: 300_000 };

interface CursorFile {
  readonly url: string;
  /** A hash of the key, not the key: another key may be scoped, so its stream is cut differently. */
  readonly keyId: string;
  readonly cursor: string;
}

/**
 * `spamx mirror`: keeps `spamx.v4` (rbldnsd ip4set) and `spamx.v6` (ip6trie) in a directory
 * equal to the node's `format=rbldnsd` output, from `GET /v1/blocklist/changes`. It starts from a
 * snapshot (or from its own files and cursor after a restart), then polls with its cursor and
 * rewrites a file (atomically) only when its family changed. A 410 starts it again from a
 * snapshot; a node that cannot be reached is retried with backoff while the last files keep being
 * served, logged once per outage; a refused key ends it (run() rejects).
 */
export class MirrorFollower {
  private readonly set = new ListedSet();
  private readonly client: ChangesClient;
  private readonly abort = new AbortController();
  private readonly clock: () => number;
  private readonly keyId: string;
  private meta: NodeMeta | undefined;
  private cursor: string | undefined;
  private wake: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly o: MirrorOptions) {
    this.clock = o.clock ?? Date.now;
    this.client = new ChangesClient(o.url, o.key, `spamx-mirror/${o.version}`, this.abort.signal);
    this.keyId = createHash('sha256').update(o.key).digest('base64url').slice(0, 16);
  }

  /** Ends run() after the step under way; a request in flight is aborted. */
  stop(): void {
    this.stopped = true;
    this.abort.abort();
    this.wake?.();
  }

  /** Follows the node until stop() (or once, with `once`); rejects on a refused key. */
  async run(): Promise<void> {
    const { log } = this.o;
    mkdirSync(this.o.outDir, { recursive: true });
    this.resume();
    let failures = 0;
    let outageSince: number | undefined;
    while (!this.stopped) {
      let delay = this.o.intervalMs;
      try {
        await this.step();
        if (outageSince !== undefined) {
          log.info({ url: this.o.url, since: formatTimestamp(outageSince), failures }, 'polling again');
        }
        outageSince = undefined;
        failures = 0;
        if (this.o.once) return;
      } catch (err) {
        if (this.stopped) break;
        if (isSpamxError(err, 'UNAUTHORIZED') || isSpamxError(err, 'FORBIDDEN')) throw err;
        if (isSpamxError(err, 'CURSOR_EXPIRED')) {
          log.info({ reason: err.message }, 'cursor expired: starting again from a snapshot');
          this.cursor = undefined;
          continue;
        }
        if (this.o.once) throw err;
        failures++;
        delay = backoffDelay(failures, this.o.backoff ?? BACKOFF, Math.random());
        // A node that asks for time (429, 503) gets at least what it asked for.
        if (isSpamxError(err) && typeof err.details?.retryAfterMs === 'number') delay = Math.max(delay, err.details.retryAfterMs);
        // Once per outage (the node down or unreachable, mostly): a day of it must not write a line per poll.
        if (outageSince === undefined) {
          outageSince = this.clock();
          log.warn({ err: describeError(err), retryInMs: delay }, 'poll failed; the last files stay in place, retrying with backoff');
        } else log.debug({ err: describeError(err), failures, retryInMs: delay }, 'poll failed again');
      }
      await this.sleep(delay);
    }
  }

  /** A snapshot when there is no cursor, else the polls until the node has nothing more. */
  private async step(): Promise<void> {
    if (this.cursor === undefined) return this.snapshot();
    const started = performance.now();
    let touched = { v4: false, v6: false };
    let added = 0;
    let removed = 0;
    let cursor = this.cursor;
    let page: ChangesPage;
    do {
      page = await this.client.changes(cursor);
      const t = this.set.apply(page.added, page.removed);
      touched = { v4: touched.v4 || t.v4, v6: touched.v6 || t.v6 };
      added += page.added.length;
      removed += page.removed.length;
      cursor = page.cursor;
    } while (page.more && !this.stopped);
    const fetched = performance.now();
    if (touched.v4 || touched.v6) this.writeFiles(touched);
    if (cursor !== this.cursor) this.saveCursor(cursor);
    if (touched.v4 || touched.v6) {
      this.o.log.info(
        { added, removed, listed: this.set.size, files: [...(touched.v4 ? [V4_FILE] : []), ...(touched.v6 ? [V6_FILE] : [])], fetchMs: round(fetched - started), cycleMs: round(performance.now() - started) },
        'files updated',
      );
    } else this.o.log.debug({ cursor }, 'nothing changed');
  }

  private async snapshot(): Promise<void> {
    const started = performance.now();
    const meta = await this.client.meta();
    const loading = this.set.load();
    let cursor: string;
    try {
      cursor = await this.client.snapshot((prefixes) => loading.add(prefixes));
    } finally {
      // Half a snapshot is no list: it is not written, and the next step takes a whole one.
      loading.done();
    }
    const fetched = performance.now();
    this.meta = meta;
    this.writeFiles({ v4: true, v6: true });
    this.saveCursor(cursor);
    this.o.log.info(
      { url: this.o.url, node: meta.node, listed: this.set.size, fetchMs: round(fetched - started), cycleMs: round(performance.now() - started) },
      'snapshot written',
    );
  }

  private writeFiles(touched: { v4: boolean; v6: boolean }): void {
    const meta = this.meta!;
    const now = this.clock();
    if (touched.v4) writeFileAtomic(this.o.outDir, V4_FILE, renderRbldnsd(4, this.set.rows4(), meta, now));
    if (touched.v6) writeFileAtomic(this.o.outDir, V6_FILE, renderRbldnsd(6, prefixRows(this.set.prefixes6()), meta, now));
  }

  /** Written after the files: a crash in between replays changes already applied, which is harmless (ListedSet.apply). */
  private saveCursor(cursor: string): void {
    const file: CursorFile = { url: this.o.url, keyId: this.keyId, cursor };
    writeFileAtomic(this.o.outDir, CURSOR_FILE, [`${JSON.stringify(file)}\n`]);
    this.cursor = cursor;
  }

  /**
   * Picks up where a previous run stopped: its cursor (for the same node and key) and the set
   * read back from its own files. Anything missing or unreadable means a snapshot instead.
   */
  private resume(): void {
    const dir = this.o.outDir;
    try {
      const saved = readIfThere(join(dir, CURSOR_FILE));
      const v4 = readIfThere(join(dir, V4_FILE));
      const v6 = readIfThere(join(dir, V6_FILE));
      if (saved === undefined || v4 === undefined || v6 === undefined) return;
      const file = JSON.parse(saved) as CursorFile;
      const meta = parseRbldnsdHead(v4);
      if (file.url !== this.o.url || file.keyId !== this.keyId || typeof file.cursor !== 'string' || !meta) return;
      this.set.reset((function* () {
        yield* rbldnsdEntries(v4);
        yield* rbldnsdEntries(v6);
      })());
      this.meta = meta;
      this.cursor = file.cursor;
      this.o.log.info({ listed: this.set.size }, 'resuming from the files and cursor in the output directory');
    } catch (err) {
      this.o.log.warn({ err: describeError(err) }, 'the files in the output directory could not be read back; starting from a snapshot');
      this.set.reset([]);
      this.cursor = undefined;
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10;
