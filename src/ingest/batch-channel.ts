import { MessageChannel, receiveMessageOnPort, type MessagePort, type Transferable } from 'node:worker_threads';
import { SpamxError } from '../core/errors.js';
import type { BatchPiece } from '../store/apply-batch.js';

/**
 * What the feed-reader thread sends about a feed, in order. Each batch comes as `begin` (once
 * its signature verified: its seq and JWS bytes), its accepted entries a chunk at a time as
 * they are decoded, then `end` (every check passed) or `error` (the batch and the feed stop
 * there). `done` is the end of the feed.
 */
export type FeedMessage =
  | {
      readonly type: 'begin';
      readonly seq: number;
      readonly jws: Uint8Array;
      /** Time the reader thread took from the batch's bytes to its signature verified (metrics). */
      readonly verifyMs?: number;
    }
  | BatchPiece
  | { readonly type: 'done' };

/**
 * How long the storing thread waits, blocked, for the next piece of a batch it is applying.
 * Between `begin` and `end` the reader only computes (the batch is already in memory), so a
 * 100,000-entry batch's pieces come within a second; this is a backstop for a reader that
 * crashed, after which the batch's transaction rolls back.
 */
const STALL_MS = 10_000;

/**
 * A one-way channel from the reader thread to the storing thread, readable both ways: by
 * awaiting (`receive`, between batches, while the node goes on serving) and by blocking
 * (`take`, inside the transaction that applies a batch, so that nothing else can run on the
 * thread and write in the middle of it). Each post bumps a shared counter and wakes waiters
 * with Atomics.notify; the receiver reads with receiveMessageOnPort, so the port is never
 * started and no message is ever dispatched as an event.
 */
export function openBatchChannel(): { sender: BatchChannelEnd; receiver: BatchReceiver } {
  const { port1, port2 } = new MessageChannel();
  const counter = new Int32Array(new SharedArrayBuffer(4));
  return { sender: { port: port1, counter }, receiver: new BatchReceiver(port2, counter) };
}

/** The sending end, as sent to the reader thread (the port in the transfer list). */
export interface BatchChannelEnd {
  readonly port: MessagePort;
  readonly counter: Int32Array;
}

export function postToChannel(end: BatchChannelEnd, message: FeedMessage, transfer: readonly Transferable[] = []): void {
  end.port.postMessage(message, [...transfer]);
  Atomics.add(end.counter, 0, 1);
  Atomics.notify(end.counter, 0);
}

class BatchReceiver {
  constructor(
    private readonly port: MessagePort,
    private readonly counter: Int32Array,
  ) {}

  /** The next message, waiting without blocking the thread; rejects when `stopped` does. */
  async receive(stopped: Promise<never>): Promise<FeedMessage> {
    for (;;) {
      const seen = Atomics.load(this.counter, 0);
      const message = this.poll();
      if (message) return message;
      // Atomics.waitAsync does not keep Node's event loop alive: the reader thread's handle,
      // referenced while an answer is owed (reader-thread.ts), does. The timeout bounds the
      // wait's life when the answer never comes.
      const wait = Atomics.waitAsync(this.counter, 0, seen, 1000);
      if (wait.async) await Promise.race([wait.value, stopped]);
    }
  }

  /** The next message, blocking this thread until it comes (at most `stallMs`). */
  take(stallMs = STALL_MS): FeedMessage {
    const deadline = Date.now() + stallMs;
    for (;;) {
      const seen = Atomics.load(this.counter, 0);
      const message = this.poll();
      if (message) return message;
      const left = deadline - Date.now();
      if (left <= 0) throw new SpamxError('INTERNAL', `feed reader sent nothing for ${stallMs / 1000} s in the middle of a batch`);
      Atomics.wait(this.counter, 0, seen, left);
    }
  }

  close(): void {
    this.port.close();
  }

  private poll(): FeedMessage | undefined {
    return (receiveMessageOnPort(this.port)?.message as FeedMessage | undefined) ?? undefined;
  }
}
