import { Hono, type Handler } from 'hono';
import type { ServeDeps } from '../deps.js';
import { operatorAuth } from '../operator-auth.js';
import type { NodeMetrics } from './node-metrics.js';

/**
 * `GET /metrics` (PROTOCOL "Additions: console"): the node's metrics in Prometheus text format,
 * to the operator token (as every operator route, with the same count of wrong tokens), or to
 * anyone when `metrics.public` is set.
 */
export function metricsRoutes(deps: ServeDeps, metrics: NodeMetrics): Hono {
  const app = new Hono();
  const scrape: Handler = async (c) => {
    // What another process (a \`spamx publish\` or \`pull\` beside the node) wrote is projected first,
    // as before every read of the list, so the list's size is that of now (nothing, when idle).
    deps.project();
    return c.body(await metrics.render(), 200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
  };
  if (deps.config.metrics.public) app.get('/metrics', scrape);
  else app.get('/metrics', operatorAuth(deps), scrape);
  return app;
}
