import { Hono } from 'hono';
import { SpamxError } from '../core/errors.js';
import { batchBySeq, batchPage, feedHead, listFeeds } from '../store/feed-store.js';
import { intParam } from './query-params.js';
import type { ServeDeps } from './deps.js';

/** PROTOCOL "Federation endpoints": public, read-only, served from the store. */
export function federationRoutes(deps: ServeDeps): Hono {
  const app = new Hono();
  const { serve } = deps.config;

  app.get('/.well-known/spamx', (c) => c.json(deps.descriptor()));

  app.get('/v1/feeds', (c) => {
    const feeds = listFeeds(deps.store);
    if (!feeds.some((f) => f.publisher === deps.config.id)) feeds.unshift({ publisher: deps.config.id, size: 0, head: null });
    return c.json(feeds);
  });

  app.get('/v1/feeds/:publisher/batches', (c) => {
    const publisher = c.req.param('publisher');
    knownFeed(deps, publisher);
    const after = intParam(c.req.query('after'), 'after', 0, 0, Number.MAX_SAFE_INTEGER);
    const limit = intParam(c.req.query('limit'), 'limit', serve.pageMaxBatches, 1, serve.pageMaxBatches);
    const page = batchPage(deps.store, publisher, after, limit, serve.pageMaxBytes);
    // jws values are base64url and dots: nothing to escape, so the page is written from the
    // stored bytes as they are.
    const pieces = [Buffer.from(`{"publisher":${JSON.stringify(publisher)},"batches":[`)];
    for (const [i, b] of page.batches.entries()) pieces.push(Buffer.from(`${i > 0 ? ',' : ''}{"seq":${b.seq},"jws":"`), b.jws, QUOTE_BRACE);
    pieces.push(Buffer.from(`],"next":${page.next === null ? 'null' : page.next}}`));
    return c.body(Buffer.concat(pieces), 200, { 'content-type': 'application/json', 'cache-control': 'no-cache' });
  });

  app.get('/v1/feeds/:publisher/batches/:seq', (c) => {
    const publisher = c.req.param('publisher');
    const seq = intParam(c.req.param('seq'), 'seq', 0, 1, Number.MAX_SAFE_INTEGER);
    const batch = batchBySeq(deps.store, publisher, seq);
    if (!batch) throw new SpamxError('NOT_FOUND', `no batch ${seq} of ${publisher} here`);
    // A batch never changes: its leaf hash is a strong validator for ever.
    const etag = `"${batch.leafHash}"`;
    const headers = { etag, 'cache-control': 'public, max-age=31536000, immutable' };
    if (c.req.header('if-none-match')?.split(/\s*,\s*/).includes(etag)) return c.body(null, 304, headers);
    return c.body(batch.jws, 200, { ...headers, 'content-type': 'application/jose' });
  });

  return app;
}

const QUOTE_BRACE = Buffer.from('"}');

function knownFeed(deps: ServeDeps, publisher: string): void {
  if (publisher !== deps.config.id && feedHead(deps.store, publisher).size === 0) {
    throw new SpamxError('NOT_FOUND', `this node holds no feed of ${publisher}`);
  }
}
