import { parentPort, workerData } from 'node:worker_threads';
import { describeError, SpamxError } from '../core/errors.js';
import { transferables } from '../core/packed-entries.js';
import { readFeed, type ReadRequest } from './feed-reader.js';
import { PeerHttpClient, type HttpLimits } from './http-client.js';
import type { DecodedBatch } from './decode-batch.js';

/** The feed-reader thread: one session per feed being read, answering `next` one batch at a time. */
const http = new PeerHttpClient(workerData as HttpLimits);
const sessions = new Map<number, { feed: AsyncGenerator<DecodedBatch>; abort: AbortController }>();

type Message = { type: 'open'; id: number; request: ReadRequest } | { type: 'next'; id: number } | { type: 'close'; id: number };

parentPort!.on('message', (message: Message) => {
  if (message.type === 'open') {
    const abort = new AbortController();
    sessions.set(message.id, { feed: readFeed(http, message.request, abort.signal), abort });
  } else if (message.type === 'close') {
    const session = sessions.get(message.id);
    sessions.delete(message.id);
    session?.abort.abort();
    void session?.feed.return(undefined).catch(() => undefined);
  } else {
    void answerNext(message.id);
  }
});

async function answerNext(id: number): Promise<void> {
  const session = sessions.get(id);
  if (!session) return parentPort!.postMessage({ id, done: true });
  try {
    const next = await session.feed.next();
    if (next.done) parentPort!.postMessage({ id, done: true });
    else {
      const { jws } = next.value;
      // Buffer.from gives a batch-sized JWS its own ArrayBuffer (only small ones share the pool).
      const own = jws.byteOffset === 0 && jws.byteLength === jws.buffer.byteLength;
      parentPort!.postMessage({ id, batch: next.value }, [...transferables(next.value.accepted), ...(own ? [jws.buffer as ArrayBuffer] : [])]);
    }
  } catch (err) {
    const e = err instanceof SpamxError ? err : new SpamxError('INTERNAL', describeError(err));
    parentPort!.postMessage({ id, error: { code: e.code, message: e.message, details: e.details } });
  }
}

parentPort!.postMessage({ ready: true });
