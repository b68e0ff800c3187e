import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import { crowdsecDecision, decisionFilter, goDuration, type CrowdsecDecision } from '../core/crowdsec-decision.js';
import { SpamxError } from '../core/errors.js';
import { cutIdentified, cutIsNone, originCut, type OriginCut } from '../core/origin-cut.js';
import { originScopeParams } from './blocklist-export.js';
import { keyScopes } from './blocklist-routes.js';
import { decisionChangesSince, openDecisionSnapshot } from '../store/decision-stream-store.js';
import type { ServeDeps } from './deps.js';
import { httpStatus } from './error-status.js';
import { streamGuard } from './response-limits.js';
import { streamText } from './stream-text.js';
import type { Caller } from './subscriber-access.js';

type Env = { Variables: { caller: Caller } };

/**
 * The CrowdSec LAPI bouncer stream, `GET /v1/decisions/stream?startup=true|false`, so the
 * CrowdSec bouncers (firewall, custom, nginx …) can enforce the merged list as they are. Each
 * listed piece is a ban decision whose id is the piece's stable id. `startup=true`, or any poll
 * by a key with no stream yet, sends every decision as new and starts the key's stream; later
 * polls (the Go bouncers send no `startup` then) get what changed since the key's last poll.
 */
export function decisionsRoutes(deps: ServeDeps, access: MiddlewareHandler<Env>, log: Logger): Hono<Env> {
  const app = new Hono<Env>();

  app.get('/v1/decisions/stream', access, streamGuard(deps), (c) => {
    const caller = c.get('caller');
    if (caller.kind !== 'subscriber') {
      throw new SpamxError('UNAUTHORIZED', 'the decision stream is kept per subscriber: send a subscriber API key in X-Api-Key');
    }
    const startup = c.req.query('startup');
    if (startup !== undefined && startup !== 'true' && startup !== 'false') {
      throw new SpamxError('BAD_REQUEST', 'query parameter "startup" must be true or false');
    }
    const keep = decisionFilter(c.req.query('scopes'), c.req.query('origins'));
    // The origin filters (`country`, `asn`, `within`) and a scoped key's scope cut each piece into
    // the parts inside them, each its own decision (ids: core/origin-cut.ts cutIdentified). A key
    // keeps one set of filters: its stream remembers what was sent, not how it was cut.
    const cut = originCut(deps.origins(), [originScopeParams((n) => c.req.queries(n) ?? []), ...keyScopes(caller)], false);
    const parts = <T extends { id: number; prefix: string }>(piece: T): T[] => (cutIsNone(cut) ? [piece] : cutIdentified(cut, piece));
    // HEAD answers a GET's headers and does nothing else: no snapshot (hono would drop the stream
    // unread and leave it open) and no move of the key's cursor, which would lose the changes
    // the key's next GET must send (RFC 9110 §9.3.2: HEAD is safe).
    if (c.req.method === 'HEAD') return c.body(null, 200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    deps.project();
    const now = deps.clock();
    const delta = startup === 'true' ? undefined : decisionChangesSince(deps.store, caller.subscriber.id, now);
    if (!delta) return startupStream(c, deps, caller.subscriber.id, keep, cutIsNone(cut) ? undefined : cut);
    const added = delta.listed.flatMap(parts).map((p) => crowdsecDecision(p, goDuration(p.expires - now))).filter(keep);
    // A deleted decision's duration is moot; "0s" is what time.ParseDuration must still accept.
    const deleted = delta.deleted.flatMap(parts).map((p) => crowdsecDecision(p, '0s')).filter(keep);
    // LAPI answers null, not [], for an empty side; clients written against it expect that.
    return c.json({ new: added.length > 0 ? added : null, deleted: deleted.length > 0 ? deleted : null });
  });

  // The Go bouncers read LAPI's error shape `{"message"}` and crash on a body without it.
  app.onError((err, c) => {
    if (err instanceof SpamxError) {
      return c.json({ message: err.message, error: { code: err.code, message: err.message } }, httpStatus(err.code));
    }
    log.error({ err, path: c.req.path }, 'request failed');
    return c.json({ message: 'internal error', error: { code: 'INTERNAL', message: 'internal error' } }, 500);
  });
  return app;
}

/** Every listed piece as new, streamed from one snapshot (the whole list can be millions). */
function startupStream(
  c: Context<Env>,
  deps: ServeDeps,
  subscriberId: number,
  keep: (d: CrowdsecDecision) => boolean,
  cut: OriginCut | undefined,
): Response {
  const now = deps.clock();
  const snapshot = openDecisionSnapshot(deps.store, subscriberId, now);
  function* chunks(): Generator<string> {
    let first = true;
    for (const listed of snapshot.pieces) {
      for (const piece of cut ? cutIdentified(cut, listed) : [listed]) {
        const decision = crowdsecDecision(piece, goDuration(piece.expires - now));
        if (!keep(decision)) continue;
        yield `${first ? '{"new":[' : ','}${JSON.stringify(decision)}`;
        first = false;
      }
    }
    yield `${first ? '{"new":null' : ']'},"deleted":null}\n`;
    // Only a stream sent whole starts the key's memory (decision-stream-store.ts).
    snapshot.complete();
  }
  let body = streamText(chunks(), snapshot.close);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store', vary: 'accept-encoding' };
  if (/\bgzip\b/.test(c.req.header('accept-encoding') ?? '')) {
    body = body.pipeThrough(new CompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>);
    headers['content-encoding'] = 'gzip';
  }
  return c.body(body, 200, headers);
}
