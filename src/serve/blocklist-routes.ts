import { Hono, type Context } from 'hono';
import { formatCursor, parseCursor } from '../core/change-stream.js';
import { labelledNetChanges, type LabelledChange } from '../core/tlp-changes.js';
import { reachesEveryone, TLP_AMBER } from '../core/tlp.js';
import { callerReader, jurisdictionScope, listAudience, lookupView, operatorTokenCheck } from './blocklist-audience.js';
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
  const isOperator = operatorTokenCheck(deps.operatorToken);

  app.get('/v1/blocklist', access, guard, async (c) => {
    const asked = parseBlocklistQuery((n) => c.req.query(n), (n) => c.req.queries(n) ?? []);
    // Labels (core/tlp.ts): what the caller may see of amber and beyond (blocklist-export.ts ListAudience).
    const query = { ...asked, scopes: [...asked.scopes, ...keyScopes(c.get('caller'))], audience: listAudience(c.get('caller'), deps.config.country) };
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
    noteMirrorPoll(deps, c.get('caller'), c.req.header('user-agent'));
    // Cut by the request's origin filters and the key's scope; the cursor then also names the
    // origin data it was cut with, since other data would cut the same changes differently.
    const origins = deps.origins();
    const scopes = [originScopeParams((n) => c.req.queries(n) ?? []), ...keyScopes(c.get('caller'))];
    const cut = originCut(origins, scopes, false);
    const originId = cutIsNone(cut) ? undefined : origins.digest;
    const labels = streamLabels(c.get('caller'), deps.config.country, (jurisdiction) => originCut(origins, [...scopes, jurisdiction], false));
    deps.project();
    const epoch = storeEpoch(deps.store);
    const cursorText = c.req.query('cursor');
    if (cursorText === undefined || cursorText === '') return snapshot(c, deps, epoch, cutIsNone(cut) ? undefined : cut, originId, labels);
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
    const { expired, changes: page, labelsInUse } = changesPage(deps.store, cursor.changeId, CHANGES_PAGE + 1);
    if (expired === 'pruned') {
      throw new SpamxError('CURSOR_EXPIRED', `cursor is older than the ${deps.config.subscribers.changesRetentionDays}-day change log; ${restart}`);
    }
    if (expired === 'ahead') throw new SpamxError('CURSOR_EXPIRED', `cursor is ahead of this store; ${restart}`);
    const more = page.length > CHANGES_PAGE;
    const run = more ? page.slice(0, CHANGES_PAGE) : page;
    // Net per piece for what this reader may see of the labels (core/tlp-changes.ts): a piece
    // whose label it may not see comes as a removal. Each prefix entering or leaving the list
    // enters or leaves the scope as its cut parts; amber is cut to the jurisdiction as well.
    const net = labelledNetChanges(run, labels.sees, labelsInUse === true, labels.cutClass);
    const partsOf = (c: LabelledChange, removal: boolean): string[] => {
      // A removal whose label before is unknown (an update) leaves both cuts' parts.
      const cuts = removal && c.op === 'updated' && labels.amberCut ? [cutIsNone(cut) ? undefined : cut, labels.amberCut] : [labels.cutOf(c.tlp, cut)];
      const texts = cuts.flatMap((k) => (k ? cutKey(k, c.key, c.prefix).map((p) => p.prefix) : [c.prefix]));
      return cuts.length > 1 ? [...new Set(texts)] : texts;
    };
    const added = net.added.flatMap((c) => partsOf(c, false));
    const removed = net.removed.flatMap((c) => partsOf(c, true));
    const next = formatCursor(epoch, run.at(-1)?.id ?? cursor.changeId, originId);
    return c.json({ cursor: next, added, removed, ...(more ? { more } : {}) });
  });

  // One handler, no middleware: the busiest endpoint skips hono's middleware chain (subscriber-access.ts).
  app.get('/v1/lookup/:ip', (c) => {
    // The operator's token (not a subscriber key) sees every label, named (PROTOCOL "Distribution labels").
    const operator = isOperator(c);
    const caller = operator ? undefined : admit(c);
    const ip = c.req.param('ip');
    if (caller?.kind === 'subscriber' && caller.subscriber.scope) {
      if (!scopeCovers(deps.origins(), caller.subscriber.scope, ip)) {
        throw new SpamxError('OUTSIDE_SCOPE', `${ip} is outside the scope of subscriber ${caller.subscriber.name}; ask about addresses in its scope`);
      }
    }
    const view = lookupView(operator, caller, deps.origins(), deps.config.country, ip);
    return c.body(deps.actions.lookupJson(ip, view), 200, { 'content-type': 'application/json' });
  });
  return app;
}

/** A poll by `spamx mirror` (src/mirror/), noted per key so the operator sees each mirror's last poll. */
function noteMirrorPoll(deps: ServeDeps, caller: Caller | undefined, agent: string | undefined): void {
  if (caller?.kind === 'subscriber' && agent?.startsWith('spamx-mirror/')) deps.metrics?.usage.mirrorPoll(caller.subscriber.id, agent, deps.clock());
}

/** A scoped key's scope, as one more scope every read it makes is cut to. */
export function keyScopes(caller: Caller | undefined): OriginScope[] {
  return caller?.kind === 'subscriber' && caller.subscriber.scope ? [caller.subscriber.scope] : [];
}

/** Without a cursor: the whole list as `added`, with the cursor of that exact snapshot. */
function snapshot(c: Context, deps: ServeDeps, epoch: string, cut: OriginCut | undefined, originId: string | undefined, labels: StreamLabels): Response {
  const headers = { 'content-type': 'application/json', 'cache-control': 'no-store' };
  // HEAD opens no snapshot: hono would drop the stream unread and leave the snapshot open.
  if (c.req.method === 'HEAD') return c.body(null, 200, headers);
  const { store: reader, close } = openSnapshotReader(deps.store);
  const cursor = formatCursor(epoch, lastChangeId(reader), originId);
  function* chunks(): Generator<string> {
    yield `{"cursor":"${cursor}","added":[`;
    let first = true;
    for (const row of effectiveRows(reader)) {
      if (!labels.sees(row.tlp)) continue;
      const pieceCut = labels.cutOf(row.tlp, cut);
      if (pieceCut) {
        for (const part of cutKey(pieceCut, row.key, row.prefix)) {
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

/**
 * What a stream reader (the change stream, the CrowdSec stream) may see of the labels
 * (core/tlp.ts): `sees` a rank at all; `cutOf` the cut its pieces of that rank take (amber: the
 * key's scope and this centre's jurisdiction; undefined: uncut); `cutClass` tells those cuts apart.
 */
export interface StreamLabels {
  readonly sees: (tlp: number | null) => boolean;
  readonly cutOf: (tlp: number | null, cut: OriginCut | undefined) => OriginCut | undefined;
  readonly cutClass: (tlp: number | null) => number;
  /** The cut amber pieces take, for a scoped key in a centre with a jurisdiction. */
  readonly amberCut?: OriginCut | undefined;
}

export function streamLabels(caller: Caller | undefined, country: string | undefined, amberCutOf: (jurisdiction: OriginScope) => OriginCut): StreamLabels {
  const jurisdiction = jurisdictionScope(country);
  const amberCut = callerReader(caller) === 'scoped' && jurisdiction ? amberCutOf(jurisdiction) : undefined;
  return {
    // Clear and green whole; amber only through the cut (a scoped key in a centre with a jurisdiction).
    sees: (tlp) => reachesEveryone(tlp) || (amberCut !== undefined && tlp === TLP_AMBER),
    cutOf: (tlp, cut) => (amberCut !== undefined && tlp === TLP_AMBER ? amberCut : cutIsNone(cut) ? undefined : cut),
    cutClass: (tlp) => (amberCut !== undefined && tlp === TLP_AMBER ? 1 : 0),
    amberCut,
  };
}
