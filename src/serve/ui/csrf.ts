import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { SpamxError } from '../../core/errors.js';

/** Both sides hashed first, so the comparison takes one time whatever the lengths. */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return given.length > 0 && timingSafeEqual(a, b);
}

/**
 * A state-changing request from a browser must come from one of the console's own pages. When
 * the browser names where the request comes from (Origin, RFC 6454 §7; every current browser
 * sends it on a POST), it must be this node: the URL the request was sent to (its Host header)
 * or the node's public URL. "null" (a sandboxed frame, a redirect across origins) is refused.
 */
export function checkOrigin(c: Context, publicUrl: string): void {
  const origin = c.req.header('origin');
  if (origin === undefined) return;
  const host = c.req.header('host');
  let ok = false;
  try {
    const from = new URL(origin);
    ok = (host !== undefined && from.host === host) || from.origin === new URL(publicUrl).origin;
  } catch {
    ok = false;
  }
  if (!ok) throw new SpamxError('FORBIDDEN', `a console form was sent from ${origin}, not from this node`);
}

/**
 * The synchronizer token pattern (OWASP CSRF Prevention Cheat Sheet): each session has a random
 * token only its pages hold, and a form sent without it, or with another, is refused — the
 * SameSite=Strict cookie alone leaves same-site pages (another port of this host) able to post.
 */
export function checkCsrf(c: Context, expected: string, given: string | undefined, publicUrl: string): void {
  checkOrigin(c, publicUrl);
  if (!given || !sameSecret(given, expected)) {
    throw new SpamxError('FORBIDDEN', 'this console form is missing its CSRF token or carries a stale one: reload the page and send it again');
  }
}
