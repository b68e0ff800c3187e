import { Hono } from 'hono';
import type { ServeDeps } from '../deps.js';
import { consoleAuth, type ConsoleEnv } from './console-auth.js';
import { listingsByMonthSeries, listSizeSeries, refusalSeries } from './console-series.js';
import { consoleHeaders } from './layout.js';
import type { originSeries } from './origin-series.js';
import type { ConsoleSessions } from './session.js';

/**
 * `GET /ui/api/*`: the series the overview's charts draw, as JSON (a session cookie or the
 * operator token). Each projects first, so the counters include every batch applied so far.
 */
export function apiRoutes(deps: ServeDeps, sessions: ConsoleSessions, origins: ReturnType<typeof originSeries>): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  app.use('/ui/api/*', async (c, next) => {
    consoleHeaders(c);
    await next();
  });
  app.use('/ui/api/*', consoleAuth(deps, sessions, 'api'));
  app.get('/ui/api/list-size', (c) => {
    deps.project();
    return c.json(listSizeSeries(deps.store, deps.clock()));
  });
  app.get('/ui/api/listings-by-month', (c) => {
    deps.project();
    return c.json(listingsByMonthSeries(deps.store, deps.clock()));
  });
  app.get('/ui/api/refusals', (c) => {
    deps.project();
    return c.json(refusalSeries(deps.store, deps.clock()));
  });
  app.get('/ui/api/origins', async (c) => c.json(await origins()));
  return app;
}
