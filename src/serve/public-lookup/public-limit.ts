import type { Context } from 'hono';
import { FailureLimiter } from '../../core/failure-limiter.js';
import { clientOf } from '../client-address.js';
import type { ServeDeps } from '../deps.js';

/**
 * The per-client bound on the public pages a stranger reaches without credentials (the lookup
 * page, removal requests): `serve.publicLookupsPerMinute` a minute, and as many at once, per client
 * address (an IPv6 client's /64). A token bucket per client, FailureLimiter's: here every request
 * is counted, not only failures. Memory is bounded as the wrong-key counts are
 * (`subscribers.failedAuthClients` clients, the least recent dropped first).
 */
export interface PublicLimit {
  /** Counts one request of the client; seconds it must wait when over its bound, else 0. */
  take(c: Context): number;
}

/** One limit per node, whichever route file asks for it (keyed by the deps every route shares). */
const limits = new WeakMap<ServeDeps, PublicLimit>();

export function publicLimit(deps: ServeDeps): PublicLimit {
  let limit = limits.get(deps);
  if (!limit) {
    const perMinute = deps.config.serve.publicLookupsPerMinute;
    const buckets = new FailureLimiter(perMinute, perMinute, deps.config.subscribers.failedAuthClients);
    limit = {
      take: (c) => {
        const client = clientOf(c);
        const now = deps.clock();
        const wait = buckets.retryAfter(client, now);
        if (wait === 0) buckets.fail(client, now);
        return wait;
      },
    };
    limits.set(deps, limit);
  }
  return limit;
}
