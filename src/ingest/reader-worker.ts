import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData, type Transferable } from 'node:worker_threads';
import { SpamxError, toErrorData } from '../core/errors.js';
import { checkpointWal } from '../store/wal-checkpoint.js';
import { postToChannel, type BatchChannelEnd, type FeedMessage } from './batch-channel.js';
import type { FeedKey } from './decode-batch.js';
import { readFeed, type ReadRequest } from './feed-reader.js';
import { PeerHttpClient, type HttpLimits } from './http-client.js';
import type { ReaderSigning } from './reader-thread.js';
import { requestSigner } from './request-signer.js';

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

/**
 * The feed-reader thread: one session per feed being read, each answering `next` with one
 * batch, sent over the session's channel (batch-channel.ts) as it is decoded, or with `done`
 * or `error`.
 */
// The node's signing key as last posted with a feed opened (every feed is read for one node).
let signing: ReaderSigning | undefined;
const signer = requestSigner(() => signing!, () => Date.now() + (signing?.clockOffsetMs ?? 0));
const http = new PeerHttpClient(workerData as HttpLimits, (method, url) => (signing ? signer(method, url) : {}));
const sessions = new Map<number, { feed: AsyncGenerator<void>; abort: AbortController; channel: BatchChannelEnd; keys: (keys: readonly FeedKey[]) => void }>();

type Message =
  | { type: 'open'; id: number; request: ReadRequest; channel: BatchChannelEnd; signing?: ReaderSigning }
  | { type: 'next'; id: number }
  | { type: 'keys'; id: number; keys: readonly FeedKey[] }
  | { type: 'close'; id: number }
  | { type: 'checkpoint'; path: string };

/**
 * A checkpoint of the node's store on a connection of this thread's own (store/wal-checkpoint.ts):
 * the storing thread applies pulled batches without SQLite's automatic checkpoint and asks for
 * one here after each (store/open-store.ts withoutAutocheckpoint). A checkpoint that fails is
 * left to the next request, or to the storing thread's own automatic checkpoint.
 */
function checkpoint(path: string): void {
  try {
    checkpointWal(path);
  } catch {
    // see above
  }
}

parentPort!.on('message', (message: Message) => {
  if (message.type === 'open') {
    if (message.signing) signing = message.signing;
    const abort = new AbortController();
    const { channel } = message;
    const post = (m: FeedMessage, transfer?: readonly Transferable[]) => postToChannel(channel, m, transfer);
    let setKeys!: (keys: readonly FeedKey[]) => void;
    // Closed before its keys came (their statements failed to verify), the session must still
    // end, or its generator would hold the batch it fetched for ever.
    const keys = new Promise<readonly FeedKey[]>((resolve, reject) => {
      setKeys = resolve;
      abort.signal.addEventListener('abort', () => reject(new SpamxError('PEER_UNREACHABLE', 'pull cancelled before the keys were known')), { once: true });
    });
    keys.catch(() => undefined);
    sessions.set(message.id, { feed: readFeed(http, message.request, abort.signal, post, keys, collectGarbage), abort, channel, keys: setKeys });
  } else if (message.type === 'keys') {
    sessions.get(message.id)?.keys(message.keys);
  } else if (message.type === 'close') {
    const session = sessions.get(message.id);
    sessions.delete(message.id);
    session?.abort.abort();
    void session?.feed.return(undefined).catch(() => undefined);
    session?.channel.port.close();
  } else if (message.type === 'next') {
    void answerNext(message.id);
  } else if (message.type === 'checkpoint') {
    checkpoint(message.path);
  }
});

async function answerNext(id: number): Promise<void> {
  const session = sessions.get(id);
  if (!session) return;
  try {
    // The batch itself was sent while it was decoded; only the feed's end is left to tell.
    const next = await session.feed.next();
    if (next.done) postToChannel(session.channel, { type: 'done' });
  } catch (err) {
    postToChannel(session.channel, { type: 'error', error: toErrorData(err) });
  }
}

parentPort!.postMessage({ ready: true });
