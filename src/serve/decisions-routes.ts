import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import { crowdsecDecision, decisionFilter, goDuration, type CrowdsecDecision } from '../core/crowdsec-decision.js';
import { SpamxError } from '../core/errors.js';
import { cutIdentified, cutIsNone, originCut, type OriginCut } from '../core/origin-cut.js';
import { originScopeParams } from './blocklist-export.js';
import { keyScopes, streamLabels, type StreamLabels } from './blocklist-routes.js';
import { CUT_ID_FACTOR } from '../core/origin-cut.js';
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
    const scopes = [originScopeParams((n) => c.req.queries(n) ?? []), ...keyScopes(caller)];
    const cut = originCut(deps.origins(), scopes, false);
    // Labels (core/tlp.ts): a scoped key sees amber cut to its scope and this centre's
    // jurisdiction, as parts with ids of their own (amberParts); anything it may not see is deleted.
    const labels = streamLabels(caller, deps.config.country, (jurisdiction) => originCut(deps.origins(), [...scopes, jurisdiction], false));
    const plain = <T extends { id: number; prefix: string }>(piece: T): T[] => (cutIsNone(cut) ? [piece] : cutIdentified(cut, piece));
    const parts = <T extends { id: number; prefix: string; tlp?: number | null }>(piece: T): T[] =>
      labels.amberCut && labels.cutClass(piece.tlp ?? null) === 1 ? amberParts(labels, piece) : plain(piece);
    // A deleted piece's parts under either cut: its label before is not known, and a client
    // deleting an id it never held does nothing.
    const goneParts = <T extends { id: number; prefix: string }>(piece: T): T[] => (labels.amberCut ? [...plain(piece), ...amberParts(labels, piece)] : plain(piece));
    // HEAD answers a GET's headers and does nothing else: no snapshot (hono would drop the stream
    // unread and leave it open) and no move of the key's cursor, which would lose the changes
    // the key's next GET must send (RFC 9110 §9.3.2: HEAD is safe).
    if (c.req.method === 'HEAD') return c.body(null, 200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    deps.project();
    const now = deps.clock();
    const delta = startup === 'true' ? undefined : decisionChangesSince(deps.store, caller.subscriber.id, now, labels.sees);
    if (!delta) return startupStream(c, deps, caller.subscriber.id, keep, cutIsNone(cut) ? undefined : cut, labels, parts);
    const added = delta.listed.flatMap(parts).map((p) => crowdsecDecision(p, goDuration(p.expires - now))).filter(keep);
    // A listed piece's parts under the other cut go (its label may have moved between green and amber).
    const otherCut = labels.amberCut ? delta.listed.flatMap((p) => (labels.cutClass(p.tlp) === 1 ? plain(p) : amberParts(labels, p))) : [];
    // A deleted decision's duration is moot; "0s" is what time.ParseDuration must still accept.
    const deleted = [...delta.deleted.flatMap(goneParts), ...otherCut].map((p) => crowdsecDecision(p, '0s')).filter(keep);
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
  labels: StreamLabels,
  parts: <T extends { id: number; prefix: string; tlp?: number | null }>(piece: T) => T[],
): Response {
  const now = deps.clock();
  const snapshot = openDecisionSnapshot(deps.store, subscriberId, now);
  function* chunks(): Generator<string> {
    let first = true;
    for (const listed of snapshot.pieces) {
      if (!labels.sees(listed.tlp)) continue;
      for (const piece of labels.amberCut ? parts(listed) : cut ? cutIdentified(cut, listed) : [listed]) {
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

/**
 * An amber piece's parts for a scoped key (cut to its scope and this centre's jurisdiction), with
 * ids of their own: `id × 4096 + 2048 + i`, never those of the same piece's parts under the key's
 * cut alone (core/origin-cut.ts cutIdentified), so a piece moving between green and amber never
 * sends one id for two prefixes.
 */
function amberParts<T extends { id: number; prefix: string }>(labels: StreamLabels, piece: T): T[] {
  const half = CUT_ID_FACTOR / 2;
  return cutIdentified(labels.amberCut!, piece)
    .slice(0, half)
    .map((p) => ({ ...p, id: p.id + half }));
}
