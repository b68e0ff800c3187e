import type { HttpBindings } from '@hono/node-server';
import type { MiddlewareHandler } from 'hono';
import { SpamxError } from '../core/errors.js';
import { clientOf } from './client-address.js';
import type { ServeDeps } from './deps.js';
import type { Caller } from './subscriber-access.js';

interface ResponseLimitOptions {
  /** Streamed responses open at once for one client address, or one subscriber key. */
  readonly perClient: number;
  /** … and for the whole node. */
  readonly total: number;
  /** A response whose socket has taken no bytes for this long is ended. */
  readonly stallTimeoutMs: number;
  /** A response still streaming this long after it began is ended, however it is read. */
  readonly maxMs: number;
}

/** Seconds a refused client is told to wait: about as long as a download in progress needs to end. */
const RETRY_AFTER_SECONDS = 5;

/**
 * Bounds what the node spends on responses that stream a lot (batch pages, the blocklist, the
 * change snapshot, the decision stream): each holds a read snapshot or a batch part in memory
 * for as long as its reader takes. Four limits:
 *
 * - at most `perClient` of them open per subscriber key (or per client address without one, an
 *   IPv6 client's /64, which one host commonly holds whole), 429 TOO_MANY_STREAMS beyond;
 * - at most `total` open at once, 503 SERVER_BUSY beyond; both with Retry-After (RFC 9110 §10.2.3);
 * - a response whose reader stops reading is ended at most `stallTimeoutMs` later: its socket
 *   is destroyed, which cancels the body stream (@hono/node-server cancels it on close), and
 *   that ends the snapshot and drops its buffers. Node's socket timeout fires only after a
 *   whole period in which no write started or completed and the socket's write queue did not
 *   shrink; a reader stalled from its first byte is thus cut after two periods, so the period is
 *   half the setting. The queue moves only when the kernel takes more: Linux reports a TCP
 *   socket writable again once about a third of its send buffer is free, so a reader is not cut
 *   while it takes that much every half period (on loopback's 4 MB buffers about 1.3 MB; over a
 *   WAN, whose buffers are smaller, much less)…
 * - … and every response is ended `maxMs` after it began, the same way: a reader taking just
 *   enough every half period would otherwise hold its snapshot, and so the WAL, for ever.
 *
 * A slot is held until the response's `close` event: finished, failed or aborted alike. Without
 * node's bindings (`app.request()` in tests) there is no socket to guard and the route runs as is.
 */
function responseLimits(options: ResponseLimitOptions): MiddlewareHandler<{ Variables: { caller?: Caller } }> {
  const open = new Map<string, number>();
  let total = 0;
  return async (c, next) => {
    const env = c.env as Partial<HttpBindings> | undefined;
    const outgoing = env?.outgoing;
    if (!outgoing || !env.incoming) return next();
    const caller = c.get('caller');
    const client = caller?.kind === 'subscriber' ? `key ${caller.subscriber.id}` : `address ${clientOf(c)}`;
    const mine = open.get(client) ?? 0;
    if (mine >= options.perClient) {
      c.header('retry-after', String(RETRY_AFTER_SECONDS));
      const who = caller?.kind === 'subscriber' ? `subscriber ${caller.subscriber.name}` : 'this client address';
      throw new SpamxError('TOO_MANY_STREAMS', `${who} already has ${mine} streamed responses open (at most ${options.perClient}); retry when one ends`);
    }
    if (total >= options.total) {
      c.header('retry-after', String(RETRY_AFTER_SECONDS));
      throw new SpamxError('SERVER_BUSY', `this node is serving ${total} streamed responses, its most; retry later`);
    }
    open.set(client, mine + 1);
    total++;
    const lifetime = setTimeout(() => outgoing.destroy(), options.maxMs);
    outgoing.once('close', () => {
      clearTimeout(lifetime);
      total--;
      const left = open.get(client)! - 1;
      if (left > 0) open.set(client, left);
      else open.delete(client);
    });
    // Our listener answers node's timeout: node then leaves the socket to us, and we end it.
    outgoing.setTimeout(Math.ceil(options.stallTimeoutMs / 2), () => outgoing.destroy());
    return next();
  };
}

const byDeps = new WeakMap<ServeDeps, ReturnType<typeof responseLimits>>();

/** The one guard of a node's app, shared by every route it protects so the total counts them all. */
export function streamGuard(deps: ServeDeps): ReturnType<typeof responseLimits> {
  let guard = byDeps.get(deps);
  if (!guard) {
    const { streamsPerClient: perClient, streamsTotal: total, stallTimeoutMs, streamMaxMs: maxMs } = deps.config.serve;
    byDeps.set(deps, (guard = responseLimits({ perClient, total, stallTimeoutMs, maxMs })));
  }
  return guard;
}
