import { createHash } from 'node:crypto';
import { z } from 'zod';
import { LEAF_PREFIX } from '../core/leaf-hash.js';
import { isSpamxError, SpamxError } from '../core/errors.js';
import { redactCredentials } from '../core/redact-credentials.js';
import type { CompactJws } from '../verify/verify-jws.js';
import { decodeBatch, type DecodeRequest, type FeedKey, type FeedPost } from './decode-batch.js';
import type { PeerHttpClient } from './http-client.js';

/**
 * Everything needed to read one peer's feed from one source, as plain (cloneable) data, but the
 * keys: they follow once the publisher's key statements are checked, while the first batch
 * downloads (readFeed's `keys`).
 */
export interface ReadRequest extends Omit<DecodeRequest, 'jws' | 'keys'> {
  /** Base URL of the node serving the feed: the publisher itself or a mirror. */
  readonly source: string;
  readonly pageLimit: number;
  /** Size in bytes of the publisher's last batch stored here (0 when none is). */
  readonly lastBatchBytes: number;
}

const PageSchema = z.object({
  publisher: z.string(),
  batches: z.array(z.object({ seq: z.number().int().positive(), jws: z.string() })),
  next: z.number().int().nonnegative().nullable(),
});

/**
 * Reads a feed from a source: pages of batches after the reader's head (the next page fetched
 * while this one is decoded, when this one was small), each batch verified and evaluated
 * (src/ingest/decode-batch.ts) and chained to the one before it. After a large batch, the next
 * is fetched alone (`GET …/batches/{seq}`, PROTOCOL "Federation endpoints") as bytes: no page
 * text to decode and parse, no batch-sized string; a source that does not answer that way gets
 * asked for a page instead. Each step decodes one batch in seq order and sends it with `post`
 * as it goes (decode-batch.ts); throws the SpamxError of the first failure. Runs on the
 * feed-reader thread (src/ingest/reader-thread.ts).
 */
export async function* readFeed(
  http: PeerHttpClient,
  req: ReadRequest,
  signal: AbortSignal,
  post: FeedPost,
  /** The publisher's keys; no batch is verified before they come. */
  keys: Promise<readonly FeedKey[]>,
  /** Run after a large batch is taken, before the next is fetched (reader-worker.ts). */
  afterLargeBatch?: () => void,
): AsyncGenerator<void> {
  let head = req.head;
  let storeRows = req.storeRows;
  for await (const jws of batchesFrom(http, req, signal)) {
    const large = jwsLength(jws) > LARGE_BATCH_BYTES;
    const batchKeys = await keys;
    // From the batch's `begin` to its `end`, nothing here waits on I/O: the storing thread
    // is blocked in its transaction until the batch is through (ingest/batch-channel.ts).
    const decoded = decodeBatch({ ...req, keys: batchKeys, jws, head, storeRows }, post);
    head = decoded.head;
    storeRows += decoded.entries;
    yield;
    // Asked for the next batch: this one's decoding garbage goes before the next is fetched.
    if (large) afterLargeBatch?.();
  }
}

/**
 * A batch larger than this (in JWS bytes) is "large": the page after it is not fetched ahead,
 * the batch after it is fetched alone, and the reader thread collects garbage between two.
 */
export const LARGE_BATCH_BYTES = 4 * 1024 * 1024;

const jwsLength = (jws: CompactJws) => (typeof jws === 'string' ? jws.length : jws.leafInput.length - 1);

async function* batchesFrom(http: PeerHttpClient, req: ReadRequest, signal: AbortSignal): AsyncGenerator<CompactJws> {
  const feedUrl = `${req.source}/v1/feeds/${encodeURIComponent(req.publisher)}/batches`;
  /** Batch `seq` alone, as 0x00 ‖ its bytes; undefined when the source answers anything but 200. */
  const fetchSingle = (seq: number) => {
    // The leaf hash, SHA-256(0x00 ‖ JWS), is computed while the batch downloads.
    const hash = createHash('sha256').update(LEAF_PREFIX);
    return http.getBytes(`${feedUrl}/${seq}`, 'application/jose', signal, 1, (chunk) => hash.update(chunk)).then(
      (leafInput) => ({ leafInput, leafHash: hash.digest() }),
      (err: unknown) => {
        if (isSpamxError(err, 'PEER_HTTP_ERROR')) return undefined;
        throw err;
      },
    );
  };
  const fetchPage = (after: number) => {
    const url = `${feedUrl}?after=${after}&limit=${req.pageLimit}`;
    const page = http.getJson(url, signal).then((body) => {
      const parsed = PageSchema.safeParse(body);
      if (!parsed.success || parsed.data.publisher !== req.publisher) {
        throw new SpamxError('PEER_BAD_RESPONSE', `${redactCredentials(url)} did not answer a batch page of ${req.publisher}`);
      }
      return parsed.data;
    });
    page.catch(() => undefined); // a prefetched page nobody awaits must not crash the thread
    return page;
  };
  let after = req.head.size;
  // The first batch is fetched alone when the last one stored was large, or when none is stored
  // yet and how large they come is unknown (one request more if they turn out small).
  let single = req.head.size === 0 || req.lastBatchBytes > LARGE_BATCH_BYTES;
  let pending = single ? undefined : fetchPage(after);
  for (;;) {
    if (single) {
      const batch = await fetchSingle(after + 1);
      if (batch) {
        single = jwsLength(batch) > LARGE_BATCH_BYTES; // before yielding: its buffer moves to the node thread
        yield batch;
        after++;
        continue;
      }
      single = false; // the end of the feed, or a source that only serves pages: a page tells
    }
    const page = await (pending ?? fetchPage(after));
    pending = undefined;
    const more = page.next !== null && page.batches.length > 0 && page.next > after;
    // The next page is fetched while this one is decoded only when this one was small: the
    // round trips are worth hiding, but a page of large batches is held one at a time (on a
    // history of 24 MB batches, fetching ahead raised the puller's peak RSS by 130–150 MB,
    // for no speed that could be told from noise over loopback).
    const prefetch = more && page.batches.reduce((n, b) => n + b.jws.length, 0) <= LARGE_BATCH_BYTES;
    if (prefetch) pending = fetchPage(page.next!);
    for (const { jws } of page.batches) yield jws;
    if (!more) return;
    after = page.next!;
    single = !prefetch && jwsLength(page.batches.at(-1)!.jws) > LARGE_BATCH_BYTES;
  }
}
