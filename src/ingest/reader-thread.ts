import { Worker } from 'node:worker_threads';
import { SpamxError, type ErrorCode } from '../core/errors.js';
import { transferables } from '../core/packed-entries.js';
import type { DecodedBatch } from './decode-batch.js';
import type { ReadRequest } from './feed-reader.js';
import type { HttpLimits } from './http-client.js';

type Answer = { id: number; done?: true; batch?: DecodedBatch; error?: { code: ErrorCode; message: string; details?: Record<string, unknown> } };

// Compiled (src/cli/compiled.mjs), the worker is plain JavaScript; from sources, a small .mjs
// registers the TypeScript loader on the worker's thread first.
const WORKER_ENTRY = import.meta.url.endsWith('.ts') ? './reader-worker.mjs' : './reader-worker.js';

/**
 * The reader's young generation, capped at 8 MB: what it allocates is mostly a batch's few large
 * strings and buffers and short-lived entry chunks, so a bigger nursery only holds garbage
 * longer. Uncapped, the puller's peak RSS on a 100,000-entry pull was 45 MB higher, at the same
 * speed.
 */
const READER_LIMITS = { maxYoungGenerationSizeMb: 8 };

/** One feed being read on the reader thread; `next` asks for the following batch. */
export interface RemoteFeed {
  /** The next verified, evaluated batch, or undefined at the end of the feed; rejects with the SpamxError that stopped it. */
  next(): Promise<DecodedBatch | undefined>;
  close(): void;
}

/**
 * The feed-reader thread, seen from the node. Pulls fetch, verify and evaluate batches there
 * (HTTP, JSON, Ed25519, local policy: CPU work on the second core) while this thread stores the
 * batch before, so a long history is read and stored at the pace of the slower of the two.
 * Batches are asked for one at a time, which bounds what is held in memory. The thread starts
 * on first use and ends with `close`.
 */
export class ReaderThread {
  private worker: Worker | undefined;
  private ready: Promise<void> = Promise.resolve();
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (b: DecodedBatch | undefined) => void; reject: (e: Error) => void }>();

  constructor(private readonly limits: HttpLimits) {}

  /** Starts the thread now rather than at the first pull (a daemon does this at start-up). */
  async warm(): Promise<void> {
    this.start();
    await this.ready;
  }

  open(request: ReadRequest): RemoteFeed {
    const worker = this.start();
    const id = this.nextId++;
    worker.postMessage({ type: 'open', id, request });
    return {
      next: () =>
        new Promise<DecodedBatch | undefined>((resolve, reject) => {
          const current = this.worker;
          if (!current) return reject(new SpamxError('INTERNAL', 'feed reader stopped'));
          this.waiting.set(id, { resolve, reject });
          current.ref(); // keep the process alive while an answer is owed
          current.postMessage({ type: 'next', id });
        }),
      close: () => this.worker?.postMessage({ type: 'close', id }),
    };
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
    this.failAll(new SpamxError('PEER_UNREACHABLE', 'pull cancelled (node shutting down)'));
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL(WORKER_ENTRY, import.meta.url), { workerData: this.limits, resourceLimits: READER_LIMITS });
    this.ready = new Promise((resolve) => worker.once('message', () => resolve()));
    this.ready.catch(() => undefined);
    worker.on('message', (answer: Answer | { ready: true }) => {
      if ('ready' in answer) return;
      const waiter = this.waiting.get(answer.id);
      this.waiting.delete(answer.id);
      if (this.waiting.size === 0) worker.unref();
      if (!waiter) return;
      if (answer.error) waiter.reject(new SpamxError(answer.error.code, answer.error.message, answer.error.details));
      else waiter.resolve(answer.batch);
    });
    worker.on('error', (err) => this.failAll(new SpamxError('INTERNAL', `feed reader failed: ${err.message}`)));
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = undefined;
      this.failAll(new SpamxError('INTERNAL', 'feed reader exited'));
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private failAll(err: Error): void {
    for (const { reject } of this.waiting.values()) reject(err);
    this.waiting.clear();
  }
}
