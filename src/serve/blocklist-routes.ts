import { Hono, type Context } from 'hono';
import { formatCursor, netChangeRows, netChanges, parseCursor, type ListChange } from '../core/change-stream.js';
import { SpamxError } from '../core/errors.js';
import { changesPage, effectiveRows, lastChangeId } from '../store/effective-query.js';
import { storeEpoch } from '../store/meta-store.js';
import { openSnapshotReader } from '../store/snapshot-reader.js';
import { ifNoneMatchHits } from '../core/etag-list.js';
import { cutIsNone, cutKey, originCut, scopeCovers, type OriginCut } from '../core/origin-cut.js';
import type { OriginScope } from '../core/origin.js';
import { blocklistHead, originScopeParams, parseBlocklistQuery } from './blocklist-export.js';
import type { ThreadedBlocklist } from './blocklist-threads.js';
import type { ServeDeps } from './deps.js';
import { streamGuard } from './response-limits.js';
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

  // Streams hold a read snapshot while their reader reads: bounded per key and in all, and ended
  // when the reader stalls (response-limits.ts), so WAL checkpoints are never held back for long.
  const guard = streamGuard(deps);

  // Exports render on threads of their own (deps.exportThreads): a filter SQLite must scan the
  // whole list for takes seconds, which must not be the seconds of the thread that answers DNS
  // and /healthz.
  const threads = deps.exportThreads;

  app.get('/v1/blocklist', access, guard, async (c) => {
    const asked = parseBlocklistQuery((n) => c.req.query(n), (n) => c.req.queries(n) ?? []);
    const query = { ...asked, scopes: [...asked.scopes, ...keyScopes(c.get('caller'))] };
    const origins = deps.origins();
    deps.project();
    // HEAD: a GET's headers from no snapshot (blocklistHead); hono drops a GET's body unread.
    const head = c.req.method === 'HEAD';
    storeEpoch(deps.store); // made here if new: the export threads' connections are read-only
    const list: Pick<ThreadedBlocklist, 'etag' | 'contentType' | 'close'> & { body?: ThreadedBlocklist['body'] } = head
      ? { ...blocklistHead(deps.store, query, () => origins), close: () => {} }
      : await threads.open(query, { id: deps.config.id, url: deps.publicUrl(), dnsblTtl: deps.config.dnsbl.ttl }, origins);
    const gzip = /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
    const etag = gzip ? `${list.etag.slice(0, -1)}-gz"` : list.etag;
    const headers: Record<string, string> = { etag, vary: 'accept-encoding', 'cache-control': 'no-cache' };
    if (ifNoneMatchHits(c.req.header('if-none-match'), etag)) {
      list.close();
      return c.body(null, 304, headers);
    }
    if (!list.body) return c.body(null, 200, { ...headers, ...(gzip ? { 'content-encoding': 'gzip' } : {}), 'content-type': list.contentType });
    let body: ReadableStream<Uint8Array> = list.body;
    if (gzip) {
      body = body.pipeThrough(new CompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>);
      headers['content-encoding'] = 'gzip';
    }
    return c.body(body, 200, { ...headers, 'content-type': list.contentType });
  });

  app.get('/v1/blocklist/changes', access, guard, (c) => {
    // Cut by the request's origin filters and the key's scope; the cursor then also names the
    // origin data it was cut with, since other data would cut the same changes differently.
    const origins = deps.origins();
    const cut = originCut(origins, [originScopeParams((n) => c.req.queries(n) ?? []), ...keyScopes(c.get('caller'))], false);
    const originId = cutIsNone(cut) ? undefined : origins.digest;
    deps.project();
    const epoch = storeEpoch(deps.store);
    const cursorText = c.req.query('cursor');
    if (cursorText === undefined || cursorText === '') return snapshot(c, deps, epoch, cutIsNone(cut) ? undefined : cut, originId);
    const cursor = parseCursor(cursorText);
    if (!cursor) throw new SpamxError('BAD_REQUEST', `cursor "${cursorText}" is not a cursor this node issued`);
    const restart = 'restart from a snapshot: GET /v1/blocklist/changes without a cursor';
    if (cursor.epoch !== epoch) throw new SpamxError('CURSOR_EXPIRED', `cursor belongs to another store or an earlier life of this one; ${restart}`);
    if (cursor.origins !== originId) {
      throw new SpamxError(
        'CURSOR_EXPIRED',
        originId && cursor.origins
          ? `the origin data changed since this cursor was issued, so the filtered list is cut differently; ${restart}`
          : `cursor was issued for ${cursor.origins ? 'a list cut by origin' : 'the list without origin filters'}; ${restart} with the same filters`,
      );
    }
    // HEAD reads no page: whether the cursor is still within the log shows only on GET.
    if (c.req.method === 'HEAD') return c.body(null, 200, { 'content-type': 'application/json' });
    // The cursor is checked and the page read in one read snapshot (store/effective-query.ts).
    const { expired, changes: page } = changesPage(deps.store, cursor.changeId, CHANGES_PAGE + 1);
    if (expired === 'pruned') {
      throw new SpamxError('CURSOR_EXPIRED', `cursor is older than the ${deps.config.subscribers.changesRetentionDays}-day change log; ${restart}`);
    }
    if (expired === 'ahead') throw new SpamxError('CURSOR_EXPIRED', `cursor is ahead of this store; ${restart}`);
    const more = page.length > CHANGES_PAGE;
    const run = more ? page.slice(0, CHANGES_PAGE) : page;
    let added: string[];
    let removed: string[];
    if (cutIsNone(cut)) ({ added, removed } = netChanges(run));
    else {
      // Each prefix entering or leaving the list enters or leaves the scope as its cut parts.
      const net = netChangeRows(run);
      const parts = (c: ListChange) => cutKey(cut, c.key, c.prefix).map((p) => p.prefix);
      added = net.added.flatMap(parts);
      removed = net.removed.flatMap(parts);
    }
    const next = formatCursor(epoch, run.at(-1)?.id ?? cursor.changeId, originId);
    return c.json({ cursor: next, added, removed, ...(more ? { more } : {}) });
  });

  // One handler, no middleware: the busiest endpoint skips hono's middleware chain (subscriber-access.ts).
  app.get('/v1/lookup/:ip', (c) => {
    const caller = admit(c);
    const ip = c.req.param('ip');
    if (caller.kind === 'subscriber' && caller.subscriber.scope) {
      if (!scopeCovers(deps.origins(), caller.subscriber.scope, ip)) {
        throw new SpamxError('OUTSIDE_SCOPE', `${ip} is outside the scope of subscriber ${caller.subscriber.name}; ask about addresses in its scope`);
      }
    }
    return c.body(deps.actions.lookupJson(ip), 200, { 'content-type': 'application/json' });
  });
  return app;
}

/** A scoped key's scope, as one more scope every read it makes is cut to. */
export function keyScopes(caller: Caller | undefined): OriginScope[] {
  return caller?.kind === 'subscriber' && caller.subscriber.scope ? [caller.subscriber.scope] : [];
}

/** Without a cursor: the whole list as `added`, with the cursor of that exact snapshot. */
function snapshot(c: Context, deps: ServeDeps, epoch: string, cut: OriginCut | undefined, originId: string | undefined): Response {
  const headers = { 'content-type': 'application/json', 'cache-control': 'no-store' };
  // HEAD opens no snapshot: hono would drop the stream unread and leave the snapshot open.
  if (c.req.method === 'HEAD') return c.body(null, 200, headers);
  const { store: reader, close } = openSnapshotReader(deps.store);
  const cursor = formatCursor(epoch, lastChangeId(reader), originId);
  function* chunks(): Generator<string> {
    yield `{"cursor":"${cursor}","added":[`;
    let first = true;
    for (const row of effectiveRows(reader)) {
      if (cut) {
        for (const part of cutKey(cut, row.key, row.prefix)) {
          yield `${first ? '' : ','}"${part.prefix}"`;
          first = false;
        }
        continue;
      }
      yield `${first ? '' : ','}"${row.prefix}"`;
      first = false;
    }
    yield '],"removed":[]}\n';
  }
  return c.body(streamText(chunks(), close), 200, headers);
}
