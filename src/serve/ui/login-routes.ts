import { Hono, type Context } from 'hono';
import { html } from 'hono/html';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { clientOf } from '../client-address.js';
import type { ServeDeps } from '../deps.js';
import { failuresOf } from '../operator-auth.js';
import { assetUrl } from './assets.js';
import { clearSessionCookie, sessionId, setSessionCookie } from './console-auth.js';
import { checkCsrf, checkOrigin, sameSecret } from './csrf.js';
import { consoleHeaders } from './layout.js';
import type { ConsoleSessions } from './session.js';

/** Where to go after logging in: a console path only, never another site (an open redirect). */
function nextPath(value: unknown): string {
  return typeof value === 'string' && /^\/ui\/[\w\-./:%]*$/.test(value) && !value.includes('//') ? value : '/ui/';
}

function loginPage(c: Context, centre: string, next: string, message: string | null, status: ContentfulStatusCode) {
  consoleHeaders(c);
  return c.html(
    html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Log in · spamx ${centre}</title><link rel="stylesheet" href="${assetUrl('console.css')}"></head>
<body>
<form class="login" method="post" action="/ui/login">
  <h1>spamx console · ${centre}</h1>
  ${message ? html`<p class="error">${message}</p>` : ''}
  <input type="text" name="username" value="operator" autocomplete="username" hidden>
  <label for="token">Operator token</label>
  <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
  <input type="hidden" name="next" value="${next}">
  <button type="submit">Log in</button>
  <p class="muted">The token is in the node's directory (<code>operator-token</code>).</p>
</form>
</body>
</html>`,
    status,
  );
}

/**
 * `GET|POST /ui/login` and `POST /ui/logout`. A wrong token counts against the client's address
 * in the operator API's own failure count (serve/operator-auth.ts), so the login page is no
 * faster way to guess the token than `Authorization: Bearer`.
 */
export function loginRoutes(deps: ServeDeps, sessions: ConsoleSessions): Hono {
  const app = new Hono();
  const failures = failuresOf(deps);
  const centre = deps.config.id;

  app.get('/ui/login', (c) => loginPage(c, centre, nextPath(c.req.query('next')), null, 200));

  app.post('/ui/login', async (c) => {
    // Login forms have no session to bind a token to; the Origin check keeps other sites from
    // logging a browser in (login CSRF).
    checkOrigin(c, deps.publicUrl());
    const form = await c.req.parseBody();
    const next = nextPath(form.next);
    const now = deps.clock();
    const client = clientOf(c);
    const wait = failures.retryAfter(client, now);
    if (wait > 0) {
      c.header('retry-after', String(wait));
      return loginPage(c, centre, next, `Too many wrong tokens from this address: try again in ${wait} s.`, 429);
    }
    const token = typeof form.token === 'string' ? form.token.trim() : '';
    if (!sameSecret(token, deps.operatorToken)) {
      if (token) failures.fail(client, now);
      return loginPage(c, centre, next, 'That is not this node’s operator token.', 401);
    }
    const { id } = sessions.start(now);
    setSessionCookie(c, deps, id);
    consoleHeaders(c);
    return c.redirect(next, 303);
  });

  app.post('/ui/logout', async (c) => {
    const id = sessionId(c);
    const session = sessions.get(id, deps.clock());
    if (session) {
      const form = await c.req.parseBody();
      checkCsrf(c, session.csrf, typeof form.csrf === 'string' ? form.csrf : undefined, deps.publicUrl());
      sessions.end(id);
    }
    clearSessionCookie(c, deps);
    return c.redirect('/ui/login', 303);
  });
  return app;
}
