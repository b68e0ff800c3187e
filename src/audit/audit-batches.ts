import { z } from 'zod';
import { SpamxError } from '../core/errors.js';
import { toBase64Url } from '../core/leaf-hash.js';
import { MemoryTree } from '../core/merkle.js';
import type { PeerHttpClient } from '../ingest/http-client.js';
import type { PinnedKeySet } from '../verify/pinned-keys.js';
import type { FeedHead } from '../core/feed-head.js';
import { redactCredentials } from '../core/redact-credentials.js';
import { verifyBatchPage } from '../verify/verify-batch-page.js';

const PageSchema = z.object({
  publisher: z.string(),
  batches: z.array(z.object({ seq: z.number().int(), jws: z.string() })),
  next: z.number().int().nullable(),
});
type Page = z.output<typeof PageSchema>;

/** What the batches of a feed add up to once every one of them verified. */
export interface AuditedBatches {
  readonly head: FeedHead;
  readonly entries: number;
  /** issuedAt of the first and last batch (ms), when there are any. */
  readonly issued: { readonly first: number; readonly last: number } | undefined;
  /** The RFC 9162 tree over the batches' leaf hashes, recomputed here. */
  readonly tree: MemoryTree;
}

/** The first batch that failed, in seq order: audit stops there. */
export class BadBatchError extends Error {
  override readonly name = 'BadBatchError';
  constructor(
    readonly seq: number,
    readonly servedAs: number,
    readonly reason: unknown,
  ) {
    super(`seq ${seq} (served as ${servedAs}) is bad`);
  }
}

/**
 * Fetches a whole feed page by page from `url` and verifies every batch as a puller does
 * (signature, header, seq, prev), recomputing the Merkle tree from the leaf hashes as it goes.
 * The next page is fetched while this one is verified, and within a page every signature runs
 * on libuv's thread pool while this thread checks the payloads (`verifyBatchPage`); verdicts
 * are still taken in seq order, so the first bad batch is the one reported.
 */
export async function auditBatches(
  http: PeerHttpClient,
  url: string,
  publisher: string,
  keys: PinnedKeySet,
  progress?: (verified: { readonly batches: number; readonly entries: number }) => void,
): Promise<AuditedBatches> {
  const tree = new MemoryTree();
  let head: FeedHead = { size: 0, head: null };
  let entries = 0;
  let issued: { first: number; last: number } | undefined;
  const fetchPage = async (after: number): Promise<Page> => {
    const pageUrl = `${url}/v1/feeds/${encodeURIComponent(publisher)}/batches?after=${after}`;
    const page = PageSchema.safeParse(await http.getJson(pageUrl));
    if (!page.success || page.data.publisher !== publisher) throw new SpamxError('PEER_BAD_RESPONSE', `${redactCredentials(pageUrl)} is not a batch page`);
    return page.data;
  };
  let pending: Promise<Page> | undefined = fetchPage(0);
  while (pending) {
    const page: Page = await pending;
    const done = page.next === null || page.batches.length === 0;
    pending = done ? undefined : fetchPage(head.size + page.batches.length);
    pending?.catch(() => undefined); // awaited on the next turn, unless a batch here is bad
    const { batches, failed } = await verifyBatchPage(page.batches.map((b) => b.jws), { publisher, keys, head });
    for (const b of batches) {
      tree.append(b.leaf);
      entries += b.entryCount;
      issued = { first: issued?.first ?? b.issuedAt, last: b.issuedAt };
    }
    if (batches.length > 0) head = { size: batches.at(-1)!.seq, head: toBase64Url(batches.at(-1)!.leaf) };
    progress?.({ batches: head.size, entries });
    if (failed) throw new BadBatchError(head.size + 1, page.batches[failed.index]!.seq, failed.error);
  }
  return { head, entries, issued, tree };
}
