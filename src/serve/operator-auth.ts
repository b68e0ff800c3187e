import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { SpamxError } from '../core/errors.js';
import type { ServeDeps } from './deps.js';

/**
 * The operator token check every operator route runs (PROTOCOL "Operator endpoints"), in
 * constant time: both sides are hashed first so lengths never leak.
 */
export function operatorAuth(deps: Pick<ServeDeps, 'operatorToken'>): MiddlewareHandler {
  const expected = createHash('sha256').update(deps.operatorToken).digest();
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    const digest = createHash('sha256').update(given).digest();
    if (!given || !timingSafeEqual(digest, expected)) {
      c.header('www-authenticate', 'Bearer realm="spamx operator"');
      throw new SpamxError('UNAUTHORIZED', 'operator endpoints need "Authorization: Bearer <operator token>"');
    }
    await next();
  };
}
