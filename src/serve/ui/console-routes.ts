import { Hono, type Context } from 'hono';
import { html } from 'hono/html';
import type { Logger } from 'pino';
import { SpamxError } from '../../core/errors.js';
import { OriginStats, type StatsAnswer } from '../../read/origin-stats.js';
import type { ServeDeps } from '../deps.js';
import { httpStatus } from '../error-status.js';
import { apiRoutes } from './api-routes.js';
import { assetRoutes } from './assets.js';
import { consoleAuth, type ConsoleEnv } from './console-auth.js';
import { consoleHeaders, renderPage } from './layout.js';
import { evidenceDownload, listingPage } from './listing-page.js';
import { loginRoutes } from './login-routes.js';
import { monthlyRoute } from './monthly-route.js';
import { originSeries } from './origin-series.js';
import { overviewPage } from './overview-page.js';
import { peersPage } from './peers-page.js';
import { decideRequest, requestsPage } from './requests-page.js';
import { ConsoleSessions } from './session.js';
import { subscribersPage } from './subscribers-page.js';

/**
 * The operator's console (PROTOCOL "Additions: console", `GET /ui/`): server-rendered pages, a
 * session cookie from a login with the operator token, and the JSON series its charts draw.
 */
export function consoleRoutes(deps: ServeDeps, log: Logger): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  const sessions = new ConsoleSessions(deps.config.ui.sessionIdleMinutes * 60_000);
  // Counted on the export threads, off the thread answering DNS, and remembered per list version.
  const stats = new OriginStats(deps.store, (table, query, now) => deps.exportThreads.run<StatsAnswer>({ kind: 'stats', query, now }, table));
  const origins = originSeries(deps, stats);
  const page = consoleAuth(deps, sessions, 'page');

  app.route('/', assetRoutes());
  app.route('/', loginRoutes(deps, sessions));
  app.route('/', apiRoutes(deps, sessions, origins));
  app.get('/ui', (c) => c.redirect('/ui/', 301));
  app.get('/ui/', page, (c) => overviewPage(c, deps, origins));
  app.get('/ui/peers', page, (c) => peersPage(c, deps));
  app.get('/ui/subscribers', page, (c) => subscribersPage(c, deps));
  app.get('/ui/listing', page, (c) => {
    const ip = c.req.query('ip')?.trim();
    if (ip) return c.redirect(`/ui/listing/${encodeURIComponent(ip)}`, 303);
    const body = html`<p class="muted">Type an IPv4 or IPv6 address in the search box above.</p>`;
    return renderPage(c, { title: 'Look up an address', active: 'listing', session: c.get('session'), centre: deps.config.id, body });
  });
  app.get('/ui/listing/:ip/evidence.json', page, (c) => evidenceDownload(c, deps, c.req.param('ip')));
  app.get('/ui/listing/:ip', page, (c) => listingPage(c, deps, c.req.param('ip')));
  app.get('/ui/requests', page, (c) => requestsPage(c, deps));
  app.post('/ui/requests/:id/decide', page, (c) => decideRequest(c, deps, c.req.param('id')));
  app.get('/ui/monthly', page, (c) => monthlyRoute(c, deps, stats));

  app.onError((err, c) => consoleError(err, c, deps, log));
  return app;
}

/** Errors as the rest of the API answers them for JSON, as a console page for a browser. */
function consoleError(err: Error, c: Context<ConsoleEnv>, deps: ServeDeps, log: Logger) {
  const known = err instanceof SpamxError;
  if (!known) log.error({ err, path: c.req.path }, 'console request failed');
  const code = known ? err.code : 'INTERNAL';
  const message = known ? err.message : 'internal error';
  const status = known ? httpStatus(err.code) : 500;
  consoleHeaders(c);
  if (c.req.path.startsWith('/ui/api/') || c.req.path.endsWith('.json') || !(c.req.header('accept') ?? '').includes('text/html')) {
    return c.json({ error: { code, message } }, status);
  }
  const body = html`<p class="error"><code>${code}</code>: ${message}</p>`;
  return renderPage(c, { title: status === 403 ? 'Refused' : 'Error', session: c.get('session') ?? null, centre: deps.config.id, body, status });
}
