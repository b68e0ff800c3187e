import { Hono } from 'hono';
import type { Logger } from 'pino';
import { SpamxError } from '../core/errors.js';
import { blocklistRoutes } from './blocklist-routes.js';
import { decisionsRoutes } from './decisions-routes.js';
import type { ServeDeps } from './deps.js';
import { httpStatus } from './error-status.js';
import { federationRoutes } from './federation-routes.js';
import { keyRoutes } from './key-routes.js';
import { operatorRoutes } from './operator-routes.js';
import { mailReportRoutes } from './mail-report-routes.js';
import { originRoutes } from './origin-routes.js';
import { consoleRoutes } from './ui/console-routes.js';
import { publicLookupRoutes } from './public-lookup/lookup-routes.js';
import { removalRoutes } from './removal-routes.js';
import { transparencyRoutes } from './transparency-routes.js';
import { subscriberAccess } from './subscriber-access.js';
import { metricsRoutes } from './metrics/metrics-routes.js';

/** The node's HTTP API: federation (public), subscriber and operator (bearer token) routes. */
export function createApp(deps: ServeDeps, log: Logger): Hono {
  const app = new Hono();
  // One instance for every subscriber route, so a key's rate limit counts all its requests.
  const access = subscriberAccess({
    store: deps.store,
    public: deps.config.subscribers.public,
    ratePerMinute: deps.config.subscribers.rateLimitPerMinute,
    failedAuthPerMinute: deps.config.subscribers.failedAuthPerMinute,
    failedAuthClients: deps.config.subscribers.failedAuthClients,
    clock: deps.clock,
    ...(deps.metrics ? { usage: deps.metrics.usage } : {}),
  });
  app.route('/', federationRoutes(deps));
  app.route('/', keyRoutes(deps));
  app.route('/', transparencyRoutes(deps));
  app.route('/', blocklistRoutes(deps, access));
  app.route('/', decisionsRoutes(deps, access.middleware, log));
  app.route('/', operatorRoutes(deps));
  // Spam samples and abuse reports in, origins queued (issue 19; src/core/mail-message.ts).
  app.route('/', mailReportRoutes(deps));
  app.route('/', originRoutes(deps));
  // The operator's console (src/serve/ui/): pages, login and the charts' series under /ui/.
  app.route('/', consoleRoutes(deps, log));
  // Listed parties (PROTOCOL "Additions: console"): the public lookup page and removal requests.
  app.route('/', publicLookupRoutes(deps));
  app.route('/', removalRoutes(deps));
  // Prometheus metrics (src/serve/metrics/): to the operator token unless metrics.public.
  if (deps.metrics) app.route('/', metricsRoutes(deps, deps.metrics));
  // A load balancer or orchestrator sends no traffic to a node still building its read models.
  app.get('/healthz', (c) => (deps.ready() ? c.json({ ok: true }) : c.json({ ok: false, status: 'starting' }, 503)));
  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no route for ${c.req.method} ${c.req.path}` } }, 404));
  app.onError((err, c) => {
    if (err instanceof SpamxError) {
      return c.json({ error: { code: err.code, message: err.message } }, httpStatus(err.code));
    }
    log.error({ err, path: c.req.path }, 'request failed');
    return c.json({ error: { code: 'INTERNAL', message: 'internal error' } }, 500);
  });
  return app;
}
