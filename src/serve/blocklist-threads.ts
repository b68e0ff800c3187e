import { Worker } from 'node:worker_threads';
import { fromErrorData, SpamxError, type SpamxErrorData } from '../core/errors.js';
import type { OriginScope } from '../core/origin.js';
import type { OriginTable, SharedOriginTable } from '../core/origin-table.js';
import type { EffectiveFilter } from '../store/effective-query.js';
import type { JurisdictionQueryData } from '../read/jurisdiction.js';
import type { StatsQuery } from '../read/origin-stats.js';
import type { BlocklistQuery } from './blocklist-export.js';
import type { ListAudience } from './blocklist-export.js';

// Compiled (src/cli/compiled.mjs) the worker is plain JavaScript; from the sources a small .mjs
// registers the TypeScript loader on the worker's thread first (as ingest/reader-thread.ts).
const WORKER_ENTRY = import.meta.url.endsWith('.ts') ? './blocklist-worker.mjs' : './blocklist-worker.js';

/** A thread with no export open for this long ends; the next export starts one again. */
const IDLE_MS = 30_000;

export type ExportRequest =
  | {
      readonly op: 'open';
      readonly id: number;
      readonly database: string;
      readonly query: EffectiveFilter & { readonly format: string; readonly aggregate: boolean; readonly scopes: readonly OriginScope[]; readonly audience: ListAudience };
      readonly node: { readonly id: string; readonly url: string; readonly dnsblTtl?: number };
      /** The origin tables in use, on shared memory: every thread reads the main thread's copy. */
      readonly origins: SharedOriginTable;
    }
  | { readonly op: 'next' | 'close'; readonly id: number }
  | {
      readonly op: 'task';
      readonly id: number;
      readonly database: string;
      readonly task: ReadTask;
      readonly origins: SharedOriginTable;
    };

/**
 * Long reads of the served list besides exports, run on the same threads for the same reason:
 * the statistics and the jurisdiction list read every piece, seconds on a large store.
 */
export type ReadTask =
  | { readonly kind: 'stats'; readonly query: StatsQuery; readonly now: number }
  | { readonly kind: 'jurisdiction'; readonly query: JurisdictionQueryData };

export type ExportReply =
  | { readonly id: number; readonly op: 'head'; readonly etag: string; readonly contentType: string }
  | { readonly id: number; readonly op: 'chunk'; readonly bytes: Uint8Array }
  | { readonly id: number; readonly op: 'end' }
  | { readonly id: number; readonly op: 'result'; readonly value: unknown }
  | { readonly id: number; readonly op: 'error'; readonly error: SpamxErrorData };

/** An export opened on a thread: its validator, and its body read a chunk at a time. */
export interface ThreadedBlocklist {
  readonly etag: string;
  readonly contentType: string;
  /** The rendered list, pulled from the thread as the client reads (nothing read ahead). */
  readonly body: ReadableStream<Uint8Array>;
  /** Ends the export and its read snapshot without reading it (a 304, a HEAD). */
  close(): void;
}

interface Thread {
  readonly worker: Worker;
  /** Each open export's reply handler: how busy the thread is. */
  readonly waiting: Map<number, (reply: ExportReply) => void>;
  idle: NodeJS.Timeout | undefined;
  dead: string | undefined;
}

/**
 * The blocklist exports of one node, rendered on `size` threads of their own (issue 18: a
 * subscriber's filter made SQLite scan the whole list for seconds on the thread that answers
 * DNS and `/healthz`). Each export reads its own read-only connection in one read transaction,
 * as `openBlocklist` does on the main thread for `spamx export`; exports are spread over the
 * threads by how many each has open. Threads start on demand and end when idle or on `close`.
 */
export class BlocklistThreads {
  private readonly threads: (Thread | undefined)[];
  private nextId = 1;

  constructor(
    private readonly database: string,
    size: number,
  ) {
    this.threads = new Array<Thread | undefined>(size).fill(undefined);
  }

  /** Opens an export; resolves once the thread has read its ETag (the snapshot's version). */
  async open(query: BlocklistQuery, node: { id: string; url: string; dnsblTtl?: number }, origins: OriginTable): Promise<ThreadedBlocklist> {
    const thread = this.leastBusy();
    const id = this.nextId++;
    const { format, ...filter } = query;
    const ask = (request: ExportRequest) =>
      new Promise<ExportReply>((resolve) => {
        if (thread.dead) return resolve({ id, op: 'error', error: { code: 'INTERNAL', message: thread.dead } });
        thread.waiting.set(id, resolve);
        thread.worker.postMessage(request);
      });
    let ended = false;
    const close = () => {
      if (ended) return;
      ended = true;
      thread.waiting.delete(id);
      if (!thread.dead) thread.worker.postMessage({ op: 'close', id } satisfies ExportRequest);
      this.settle(thread);
    };
    const head = await ask({ op: 'open', id, database: this.database, query: { ...filter, format: format.name }, node, origins: origins.toShared() });
    if (head.op !== 'head') {
      close();
      throw head.op === 'error' ? fromErrorData(head.error) : new SpamxError('INTERNAL', `export thread answered ${head.op} to open`);
    }
    const body = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          const next = await ask({ op: 'next', id });
          if (next.op === 'chunk') return controller.enqueue(next.bytes);
          ended = true;
          thread.waiting.delete(id);
          this.settle(thread);
          if (next.op === 'end') controller.close();
          else controller.error(next.op === 'error' ? fromErrorData(next.error) : new SpamxError('INTERNAL', `export thread answered ${next.op}`));
        },
        cancel: close,
      },
      { highWaterMark: 0 },
    );
    return { etag: head.etag, contentType: head.contentType, body, close };
  }

  /** Runs a read task on the least busy thread; resolves with its result. */
  async run<T>(task: ReadTask, origins: OriginTable): Promise<T> {
    const thread = this.leastBusy();
    const id = this.nextId++;
    try {
      const reply = await new Promise<ExportReply>((resolve) => {
        if (thread.dead) return resolve({ id, op: 'error', error: { code: 'INTERNAL', message: thread.dead } });
        thread.waiting.set(id, resolve);
        thread.worker.postMessage({ op: 'task', id, database: this.database, task, origins: origins.toShared() } satisfies ExportRequest);
      });
      if (reply.op === 'result') return reply.value as T;
      throw reply.op === 'error' ? fromErrorData(reply.error) : new SpamxError('INTERNAL', `export thread answered ${reply.op} to a task`);
    } finally {
      thread.waiting.delete(id);
      this.settle(thread);
    }
  }

  /** Ends every thread (the node stops); exports still open fail. */
  async close(): Promise<void> {
    const running = this.threads.filter((t): t is Thread => t !== undefined);
    this.threads.fill(undefined);
    for (const t of running) clearTimeout(t.idle);
    await Promise.all(running.map((t) => t.worker.terminate()));
  }

  private leastBusy(): Thread {
    let best = 0;
    for (let i = 0; i < this.threads.length; i++) {
      const t = this.threads[i];
      if (!t) return this.start(i);
      if (t.waiting.size < this.threads[best]!.waiting.size) best = i;
    }
    const thread = this.threads[best]!;
    clearTimeout(thread.idle);
    thread.idle = undefined;
    return thread;
  }

  private start(slot: number): Thread {
    const worker = new Worker(new URL(WORKER_ENTRY, import.meta.url));
    // The node's own lifecycle ends the threads; an idle one never keeps the process alive.
    worker.unref();
    const thread: Thread = { worker, waiting: new Map(), idle: undefined, dead: undefined };
    worker.on('message', (reply: ExportReply) => thread.waiting.get(reply.id)?.(reply));
    const fail = (why: string) => {
      if (this.threads[slot] === thread) this.threads[slot] = undefined;
      thread.dead ??= `blocklist export thread ${why}`;
      const error = { code: 'INTERNAL' as const, message: thread.dead };
      for (const [id, resolve] of thread.waiting) resolve({ id, op: 'error', error });
      thread.waiting.clear();
    };
    worker.on('error', (err) => fail(`failed: ${err.message}`));
    worker.on('exit', () => fail('exited'));
    this.threads[slot] = thread;
    return thread;
  }

  /** Lets a thread with no export open end after IDLE_MS. */
  private settle(thread: Thread): void {
    if (thread.waiting.size > 0 || thread.idle) return;
    thread.idle = setTimeout(() => {
      const slot = this.threads.indexOf(thread);
      if (slot >= 0 && thread.waiting.size === 0) {
        this.threads[slot] = undefined;
        void thread.worker.terminate();
      }
    }, IDLE_MS);
    thread.idle.unref();
  }
}
