import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { SpamxError } from '../../core/errors.js';
import type { ServeDeps } from '../deps.js';
import { operatorAuth } from '../operator-auth.js';
import type { ConsoleSession, ConsoleSessions } from './session.js';

/** What a console handler knows of who asks: their session, or null for a bearer token. */
export type ConsoleEnv = { Variables: { session: ConsoleSession | null } };

export const SESSION_COOKIE = 'spamx_console';

/**
 * The session cookie is Secure when the browser reached the node over TLS: the node serves TLS
 * itself, its public URL is https (a reverse proxy terminates TLS), or the proxy says so in
 * X-Forwarded-Proto. A client faking that header only makes its own cookie stricter.
 */
function secure(c: Context, deps: Pick<ServeDeps, 'config' | 'publicUrl'>): boolean {
  const forwarded = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  return deps.config.tls !== undefined || forwarded === 'https' || deps.publicUrl().startsWith('https:');
}

/**
 * HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it), only under /ui,
 * and a browser-session cookie: the idle expiry is the node's (session.ts), renewed on each use.
 */
export function setSessionCookie(c: Context, deps: Pick<ServeDeps, 'config' | 'publicUrl'>, id: string): void {
  setCookie(c, SESSION_COOKIE, id, { path: '/ui', httpOnly: true, sameSite: 'Strict', secure: secure(c, deps) });
}

export function clearSessionCookie(c: Context, deps: Pick<ServeDeps, 'config' | 'publicUrl'>): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/ui', httpOnly: true, sameSite: 'Strict', secure: secure(c, deps) });
}

export function sessionId(c: Context): string | undefined {
  return getCookie(c, SESSION_COOKIE);
}

/**
 * Who may see the console: a live session (the cookie), or the operator token as a bearer
 * header (scripts, tests), checked by the operator API's own middleware and failure count.
 * Without either a page redirects to the login and a JSON endpoint answers 401.
 */
export function consoleAuth(deps: ServeDeps, sessions: ConsoleSessions, kind: 'page' | 'api'): MiddlewareHandler<ConsoleEnv> {
  const bearer = operatorAuth(deps);
  return async (c, next) => {
    if (c.req.header('authorization') !== undefined) {
      c.set('session', null);
      return bearer(c, next);
    }
    const session = sessions.get(sessionId(c), deps.clock());
    if (!session) {
      if (kind === 'api') throw new SpamxError('UNAUTHORIZED', 'log in at /ui/login first, or send "Authorization: Bearer <operator token>"');
      const back = c.req.method === 'GET' ? `?next=${encodeURIComponent(c.req.path)}` : '';
      return c.redirect(`/ui/login${back}`, 303);
    }
    c.set('session', session);
    await next();
  };
}
