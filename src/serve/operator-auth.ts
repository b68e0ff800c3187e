import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { SpamxError } from '../core/errors.js';
import { FailureLimiter } from '../core/failure-limiter.js';
import { clientOf } from './client-address.js';
import type { ServeDeps } from './deps.js';

type OperatorAuthDeps = Pick<ServeDeps, 'operatorToken' | 'config' | 'clock'>;

/**
 * One failure count per node, whichever route file asks for the check: keyed by the deps object
 * every route of an app is built from.
 */
const failuresByDeps = new WeakMap<OperatorAuthDeps, FailureLimiter>();

/** The per-address count of wrong operator tokens, shared with the console's login (serve/ui/login-routes.ts). */
export function failuresOf(deps: OperatorAuthDeps): FailureLimiter {
  let failures = failuresByDeps.get(deps);
  if (!failures) {
    const perMinute = deps.config.serve.operatorFailedAuthPerMinute;
    failures = new FailureLimiter(perMinute, perMinute, deps.config.subscribers.failedAuthClients);
    failuresByDeps.set(deps, failures);
  }
  return failures;
}

/**
 * The operator token check every operator route runs (PROTOCOL "Operator endpoints"), in
 * constant time: both sides are hashed first so lengths never leak. Wrong tokens count against
 * the client's address (an IPv6 client's /64), as wrong subscriber keys do: past
 * `serve.operatorFailedAuthPerMinute` an address gets 429 RATE_LIMITED with Retry-After, and
 * whatever token it sends is not even compared, or the 429 would still tell a guess from the
 * token.
 */
export function operatorAuth(deps: OperatorAuthDeps): MiddlewareHandler {
  const expected = createHash('sha256').update(deps.operatorToken).digest();
  const failures = failuresOf(deps);
  return async (c, next) => {
    const now = deps.clock();
    // Nothing to look up while no address has failed: the common case costs one size check.
    const client = failures.size === 0 ? '' : clientOf(c);
    const wait = failures.size === 0 ? 0 : failures.retryAfter(client, now);
    if (wait > 0) {
      c.header('retry-after', String(wait));
      throw new SpamxError('RATE_LIMITED', 'too many wrong operator tokens from this address');
    }
    const header = c.req.header('authorization') ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    const digest = createHash('sha256').update(given).digest();
    if (!given || !timingSafeEqual(digest, expected)) {
      // A request with no token guesses nothing (a probe, a script missing its header).
      if (given) failures.fail(client || clientOf(c), now);
      c.header('www-authenticate', 'Bearer realm="spamx operator"');
      throw new SpamxError('UNAUTHORIZED', 'operator endpoints need "Authorization: Bearer <operator token>"');
    }
    await next();
  };
}
