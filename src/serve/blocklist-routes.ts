import { Hono, type Context } from 'hono';
import { formatCursor, netChanges, parseCursor } from '../core/change-stream.js';
import { SpamxError } from '../core/errors.js';
import { changesPage, effectiveRows, lastChangeId } from '../store/effective-query.js';
import { storeEpoch } from '../store/meta-store.js';
import { openSnapshotReader } from '../store/snapshot-reader.js';
import { openBlocklist, parseBlocklistQuery } from './blocklist-export.js';
import type { ServeDeps } from './deps.js';
import { streamText } from './stream-text.js';
import type { Caller, SubscriberAccess } from './subscriber-access.js';

/** Changes per page of the change stream; a client keeps polling while `more` is true. */
const CHANGES_PAGE = 10_000;

/** PROTOCOL "Subscriber endpoints": the blocklist, its change stream and lookups. */
export function blocklistRoutes(
  deps: ServeDeps,
  { admit, middleware: access }: SubscriberAccess,
): Hono<{ Variables: { caller: Caller } }> {
  const app = new Hono<{ Variables: { caller: Caller } }>();

  app.get('/v1/blocklist', access, (c) => {
    const query = parseBlocklistQuery((n) => c.req.query(n), (n) => c.req.queries(n) ?? []);
    deps.project();
    const list = openBlocklist(deps.store, query, { id: deps.config.id, url: deps.publicUrl(), dnsblTtl: deps.config.dnsbl.ttl });
    const gzip = /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
    const etag = gzip ? `${list.etag.slice(0, -1)}-gz"` : list.etag;
    const headers: Record<string, string> = { etag, vary: 'accept-encoding', 'cache-control': 'no-cache' };
    if (matchesEtag(c, etag)) {
      list.close();
      return c.body(null, 304, headers);
    }
    let body: ReadableStream<Uint8Array> = streamText(list.chunks, list.close);
    if (gzip) {
      body = body.pipeThrough(new CompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>);
      headers['content-encoding'] = 'gzip';
    }
    return c.body(body, 200, { ...headers, 'content-type': list.contentType });
  });

  app.get('/v1/blocklist/changes', access, (c) => {
    deps.project();
    const epoch = storeEpoch(deps.store);
    const cursorText = c.req.query('cursor');
    if (cursorText === undefined || cursorText === '') return snapshot(c, deps, epoch);
    const cursor = parseCursor(cursorText);
    if (!cursor) throw new SpamxError('BAD_REQUEST', `cursor "${cursorText}" is not a cursor this node issued`);
    const restart = 'restart from a snapshot: GET /v1/blocklist/changes without a cursor';
    if (cursor.epoch !== epoch) throw new SpamxError('CURSOR_EXPIRED', `cursor belongs to another store or an earlier life of this one; ${restart}`);
    // The cursor is checked and the page read in one read snapshot (store/effective-query.ts).
    const { expired, changes: page } = changesPage(deps.store, cursor.changeId, CHANGES_PAGE + 1);
    if (expired === 'pruned') {
      throw new SpamxError('CURSOR_EXPIRED', `cursor is older than the ${deps.config.subscribers.changesRetentionDays}-day change log; ${restart}`);
    }
    if (expired === 'ahead') throw new SpamxError('CURSOR_EXPIRED', `cursor is ahead of this store; ${restart}`);
    const more = page.length > CHANGES_PAGE;
    const run = more ? page.slice(0, CHANGES_PAGE) : page;
    const { added, removed } = netChanges(run);
    const next = formatCursor(epoch, run.at(-1)?.id ?? cursor.changeId);
    return c.json({ cursor: next, added, removed, ...(more ? { more } : {}) });
  });

  // One handler, no middleware: the busiest endpoint skips hono's middleware chain (subscriber-access.ts).
  app.get('/v1/lookup/:ip', (c) => {
    admit(c);
    return c.body(deps.actions.lookupJson(c.req.param('ip')), 200, { 'content-type': 'application/json' });
  });
  return app;
}

/** Without a cursor: the whole list as `added`, with the cursor of that exact snapshot. */
function snapshot(c: Context, deps: ServeDeps, epoch: string): Response {
  const { store: reader, close } = openSnapshotReader(deps.store);
  const cursor = formatCursor(epoch, lastChangeId(reader));
  function* chunks(): Generator<string> {
    yield `{"cursor":"${cursor}","added":[`;
    let first = true;
    for (const row of effectiveRows(reader)) {
      yield `${first ? '' : ','}"${row.prefix}"`;
      first = false;
    }
    yield '],"removed":[]}\n';
  }
  return c.body(streamText(chunks(), close), 200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
}

function matchesEtag(c: Context, etag: string): boolean {
  const header = c.req.header('if-none-match');
  return header !== undefined && (header.trim() === '*' || header.split(',').some((t) => t.trim() === etag));
}
