import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { describeError, SpamxError } from '../core/errors.js';
import { transferables } from '../core/packed-entries.js';
import { readFeed, type ReadRequest } from './feed-reader.js';
import { PeerHttpClient, type HttpLimits } from './http-client.js';
import type { DecodedBatch } from './decode-batch.js';

/**
 * A full garbage collection after each large batch is handed over, before the next is fetched.
 * Decoding it left batch-sized strings (its page's text or its payload's text) in V8's
 * large-object space, which only a full collection frees; V8 would let several batches' worth
 * pile up before collecting on its own. With little else on this heap, a collection takes
 * 10–20 ms (24 MB batches). `gc` is reached the way Jest's leak detector does: --expose-gc for
 * contexts made from now on, then one.
 */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** The feed-reader thread: one session per feed being read, answering `next` one batch at a time. */
const http = new PeerHttpClient(workerData as HttpLimits);
const sessions = new Map<number, { feed: AsyncGenerator<DecodedBatch>; abort: AbortController }>();

type Message =
  | { type: 'open'; id: number; request: ReadRequest }
  | { type: 'next'; id: number }
  | { type: 'close'; id: number };

parentPort!.on('message', (message: Message) => {
  if (message.type === 'open') {
    const abort = new AbortController();
    sessions.set(message.id, { feed: readFeed(http, message.request, abort.signal, collectGarbage), abort });
  } else if (message.type === 'close') {
    const session = sessions.get(message.id);
    sessions.delete(message.id);
    session?.abort.abort();
    void session?.feed.return(undefined).catch(() => undefined);
  } else if (message.type === 'next') {
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
      // A batch-sized JWS has an ArrayBuffer of its own (0x00 ‖ JWS, from core/leaf-hash.ts);
      // a small one may sit in Buffer's shared pool, which must not be moved, so it is copied.
      const own = jws.byteOffset === 1 && jws.byteLength + 1 === jws.buffer.byteLength;
      parentPort!.postMessage({ id, batch: next.value }, [...transferables(next.value.accepted), ...(own ? [jws.buffer as ArrayBuffer] : [])]);
    }
  } catch (err) {
    const e = err instanceof SpamxError ? err : new SpamxError('INTERNAL', describeError(err));
    parentPort!.postMessage({ id, error: { code: e.code, message: e.message, details: e.details } });
  }
}

parentPort!.postMessage({ ready: true });
