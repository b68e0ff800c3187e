import { Hono } from 'hono';
import { mayServeBatch, recipientsOf, type Requester } from '../core/batch-audience.js';
import { SpamxError } from '../core/errors.js';
import { tlpName } from '../core/tlp.js';
import { ifNoneMatchHits } from '../core/etag-list.js';
import { batchJwsParts, batchPageSizes, storedBatchSize, type StoredBatchSize } from '../store/batch-parts.js';
import { feedHead, leafHashOf, listFeeds } from '../store/feed-store.js';
import { partnersOnly, type FederationEnv } from './partner-access.js';
import { intParam } from './query-params.js';
import type { ServeDeps } from './deps.js';
import { streamGuard } from './response-limits.js';
import { streamText } from './stream-text.js';

/**
 * PROTOCOL "Federation endpoints": read-only, served from the store; public but for the batches,
 * which `federation.access: "partners"` serves to pinned partners only (partner-access.ts), and
 * each batch only to whom its label and recipients allow (core/batch-audience.ts).
 */
export function federationRoutes(deps: ServeDeps): Hono<FederationEnv> {
  const app = new Hono<FederationEnv>();
  const { serve } = deps.config;

  app.get('/.well-known/spamx', (c) => c.json(deps.descriptor()));

  app.get('/v1/feeds', (c) => {
    const feeds = listFeeds(deps.store);
    if (!feeds.some((f) => f.publisher === deps.config.id)) feeds.unshift({ publisher: deps.config.id, size: 0, head: null });
    return c.json(feeds);
  });

  // Batch downloads stream each stored part as the reader takes it, under the shared limits
  // (response-limits.ts): a page always holds its first batch whole, up to 24 MB, and a response
  // that built it in memory held that much for as long as its reader stalled.
  const guard = streamGuard(deps);
  // Checked before the stream guard: a refused request takes no stream slot.
  const partners = partnersOnly(deps);

  app.get('/v1/feeds/:publisher/batches', partners, guard, (c) => {
    const publisher = c.req.param('publisher');
    knownFeed(deps, publisher);
    const after = intParam(c.req.query('after'), 'after', 0, 0, Number.MAX_SAFE_INTEGER);
    const limit = intParam(c.req.query('limit'), 'limit', serve.pageMaxBatches, 1, serve.pageMaxBatches);
    const page = servablePage(deps, c.get('requester'), publisher, batchPageSizes(deps.store, publisher, after, limit, serve.pageMaxBytes));
    // jws values are base64url and dots: nothing to escape, so the page is written from the
    // stored bytes as they are, and its length is known before a byte is read.
    const open = `{"publisher":${JSON.stringify(publisher)},"batches":[`;
    const end = `],"next":${page.next === null ? 'null' : page.next}}`;
    const lead = (i: number, seq: number) => `${i > 0 ? ',' : ''}{"seq":${seq},"jws":"`;
    const length = page.batches.reduce((n, b, i) => n + lead(i, b.seq).length + b.bytes + 2, Buffer.byteLength(open) + end.length);
    const headers = { 'content-type': 'application/json', 'cache-control': 'no-cache', 'content-length': String(length) };
    if (c.req.method === 'HEAD') return c.body(null, 200, headers);
    function* chunks(): Generator<string | Uint8Array> {
      yield open;
      for (const [i, b] of page.batches.entries()) {
        yield lead(i, b.seq);
        yield* batchJwsParts(deps.store, publisher, b.seq, b.bytes);
        yield '"}';
      }
      yield end;
    }
    return c.body(streamText(chunks(), () => {}), 200, headers);
  });

  app.get('/v1/feeds/:publisher/batches/:seq', partners, guard, (c) => {
    const publisher = c.req.param('publisher');
    const seq = intParam(c.req.param('seq'), 'seq', 0, 1, Number.MAX_SAFE_INTEGER);
    const leafHash = leafHashOf(deps.store, publisher, seq);
    const stored = storedBatchSize(deps.store, publisher, seq);
    if (leafHash === null || stored === undefined) throw new SpamxError('NOT_FOUND', `no batch ${seq} of ${publisher} here`);
    if (!servable(deps, c.get('requester'), publisher, stored)) throw withheld(deps, publisher, stored);
    // A batch never changes: its leaf hash is a strong validator for ever. Only a batch anyone
    // may have is cacheable by shared caches (RFC 9111 §5.2.2.7): another's would leak through one.
    const etag = `"${leafHash}"`;
    const open = deps.config.federation.access === 'public' && servable(deps, { kind: 'anonymous' }, publisher, stored);
    const headers = { etag, 'cache-control': `${open ? 'public' : 'private'}, max-age=31536000, immutable` };
    if (ifNoneMatchHits(c.req.header('if-none-match'), etag)) return c.body(null, 304, headers);
    const bytes = stored.bytes;
    const full = { ...headers, 'content-type': 'application/jose', 'content-length': String(bytes) };
    if (c.req.method === 'HEAD') return c.body(null, 200, full);
    return c.body(streamText(batchJwsParts(deps.store, publisher, seq, bytes), () => {}), 200, full);
  });

  return app;
}

function knownFeed(deps: ServeDeps, publisher: string): void {
  if (publisher !== deps.config.id && feedHead(deps.store, publisher).size === 0) {
    throw new SpamxError('NOT_FOUND', `this node holds no feed of ${publisher}`);
  }
}

function servable(deps: ServeDeps, requester: Requester, publisher: string, b: StoredBatchSize): boolean {
  return mayServeBatch({ publisher, tlp: b.tlp, recipients: recipientsOf(b.recipients) }, deps.config.id, requester);
}

/**
 * A page cut before its first batch this requester may not have: the batches before it are
 * served, and `next` makes the reader ask for the rest, which then answers BATCH_WITHHELD. A
 * page that would start with one is that refusal at once.
 */
function servablePage(deps: ServeDeps, requester: Requester, publisher: string, page: { batches: StoredBatchSize[]; next: number | null }) {
  const cut = page.batches.findIndex((b) => !servable(deps, requester, publisher, b));
  if (cut < 0) return page;
  if (cut === 0) throw withheld(deps, publisher, page.batches[0]!);
  return { batches: page.batches.slice(0, cut), next: page.batches[cut - 1]!.seq };
}

function withheld(deps: ServeDeps, publisher: string, b: StoredBatchSize): SpamxError {
  deps.metrics?.federationRefused('BATCH_WITHHELD');
  const what = b.recipients !== null ? `sealed to ${b.recipients.split(' ').join(', ')}` : `labelled TLP:${tlpName(b.tlp).toUpperCase()}`;
  const where =
    publisher === deps.config.id
      ? 'it is served to pinned partners only: sign the request with a partner\'s node key'
      : `this node re-serves it only to ${b.recipients !== null ? 'its recipients and ' : ''}its publisher: fetch it from ${publisher}`;
  return new SpamxError('BATCH_WITHHELD', `batch ${b.seq} of ${publisher} is ${what}; ${where}`, { publisher, seq: b.seq });
}
