import { Worker } from 'node:worker_threads';
import { SpamxError } from '../core/errors.js';
import { openBatchChannel, type FeedMessage } from './batch-channel.js';
import type { FeedKey } from './decode-batch.js';
import type { ReadRequest } from './feed-reader.js';
import type { HttpLimits } from './http-client.js';
import type { SigningKey } from './request-signer.js';

/**
 * How the reader thread signs its requests for one feed (request-signer.ts): the node's current
 * key, and how far the node's clock is from the thread's Date.now (a test's clock may differ).
 * Posted with each feed opened, so a rotated key is used from the next pull on; never logged.
 */
export interface ReaderSigning extends SigningKey {
  readonly clockOffsetMs: number;
}

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

/** One feed being read on the reader thread (see batch-channel.ts for what it sends). */
export interface RemoteFeed {
  /**
   * Asks for the following batch (or the feed's end). The reader fetches and decodes it while
   * this thread stores the one before; its messages come after all of that one's.
   */
  request(): void;
  /** The publisher's keys: the reader verifies nothing before it has them. */
  setKeys(keys: readonly FeedKey[]): void;
  /** The next message, awaited: between batches. */
  receive(): Promise<FeedMessage>;
  /** The next message, blocking this thread: inside a batch's transaction. */
  take(): FeedMessage;
  close(): void;
}

/**
 * The feed-reader thread, seen from the node. Pulls fetch, verify and evaluate batches there
 * (HTTP, JSON, Ed25519, local policy: CPU work on the second core) while this thread stores
 * them, each batch a chunk at a time as it is decoded, so a long history is read and stored at
 * the pace of the slower of the two. Batches are asked for one at a time, which bounds what is
 * held in memory. The thread starts on first use and ends with `close`.
 */
export class ReaderThread {
  private worker: Worker | undefined;
  private ready: Promise<void> = Promise.resolve();
  /** Rejects when the thread fails or exits: what an awaited receive races against. */
  private stopped: Promise<never> = new Promise<never>(() => undefined);
  private stop: (err: Error) => void = () => undefined;
  private nextId = 1;
  private openFeeds = 0;

  constructor(
    private readonly limits: HttpLimits,
    private readonly signing?: () => ReaderSigning,
  ) {}

  /** Starts the thread now rather than at the first pull (a daemon does this at start-up). */
  async warm(): Promise<void> {
    this.start();
    await this.ready;
  }

  open(request: ReadRequest): RemoteFeed {
    const worker = this.start();
    // This thread's end, not whichever thread runs when the feed is next read: a feed whose
    // thread died must fail, not wait on a thread started since.
    const stopped = this.stopped;
    const id = this.nextId++;
    const { sender, receiver } = openBatchChannel();
    worker.postMessage({ type: 'open', id, request, channel: sender, signing: this.signing?.() }, [sender.port]);
    // Referenced while a feed is open: Atomics.waitAsync alone does not keep the process alive.
    if (this.openFeeds++ === 0) worker.ref();
    let closed = false;
    return {
      request: () => this.worker?.postMessage({ type: 'next', id }),
      setKeys: (keys) => this.worker?.postMessage({ type: 'keys', id, keys }),
      receive: () => receiver.receive(stopped),
      take: () => receiver.take(),
      close: () => {
        if (closed) return;
        closed = true;
        receiver.close();
        if (--this.openFeeds === 0) this.worker?.unref();
        this.worker?.postMessage({ type: 'close', id });
      },
    };
  }

  /** Has the thread checkpoint the store's WAL (reader-worker.ts), when it is running. */
  checkpoint(databasePath: string): void {
    this.worker?.postMessage({ type: 'checkpoint', path: databasePath });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.stop(new SpamxError('PEER_UNREACHABLE', 'pull cancelled (node shutting down)'));
    if (worker) await worker.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL(WORKER_ENTRY, import.meta.url), { workerData: this.limits, resourceLimits: READER_LIMITS });
    this.ready = new Promise((resolve) => worker.once('message', () => resolve()));
    this.ready.catch(() => undefined);
    let stop!: (err: Error) => void;
    this.stopped = new Promise<never>((_, reject) => (stop = reject));
    this.stopped.catch(() => undefined);
    this.stop = stop;
    worker.on('error', (err) => stop(new SpamxError('INTERNAL', `feed reader failed: ${err.message}`)));
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = undefined;
      stop(new SpamxError('INTERNAL', 'feed reader exited'));
    });
    if (this.openFeeds === 0) worker.unref();
    this.worker = worker;
    return worker;
  }
}
