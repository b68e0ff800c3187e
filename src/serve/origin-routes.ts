import { Hono } from 'hono';
import { SpamxError } from '../core/errors.js';
import { withAsNames, type JurisdictionAnswer } from '../read/jurisdiction.js';
import { OriginStats, STATS_BY, type StatsAnswer, type StatsBy } from '../read/origin-stats.js';
import type { ServeDeps } from './deps.js';
import { operatorAuth } from './operator-auth.js';
import { listParam, sinceParam } from './query-params.js';

/**
 * PROTOCOL "Additions: origins", operator side: `GET /v1/stats` (the list counted by country,
 * AS, source centre or month) and `GET /v1/jurisdiction` (what partners list inside this
 * centre's own country, for its domestic ISPs).
 */
export function originRoutes(deps: ServeDeps): Hono {
  const app = new Hono();
  const auth = operatorAuth(deps);
  // Both read every listed piece: seconds on a large store, run on the export threads.
  const threads = deps.exportThreads;
  const stats = new OriginStats(deps.store, (table, query, now) => threads.run<StatsAnswer>({ kind: 'stats', query, now }, table));

  app.get('/v1/stats', auth, async (c) => {
    const by = c.req.query('by') ?? 'country';
    if (!(STATS_BY as readonly string[]).includes(by)) throw new SpamxError('BAD_REQUEST', `by must be one of ${STATS_BY.join(', ')}`);
    const countries = listParam(c.req.queries('country') ?? [], 'country', 100).map((cc) => {
      if (!/^[A-Za-z]{2}$/.test(cc)) throw new SpamxError('BAD_REQUEST', `country "${cc}" is not an ISO 3166-1 alpha-2 code`);
      return cc.toUpperCase();
    });
    deps.project();
    const query = { by: by as StatsBy, sources: listParam(c.req.queries('source') ?? [], 'source', 100), countries, since: sinceParam(c.req.query('since')) };
    return c.json(await stats.stats(deps.origins(), query, deps.clock()));
  });

  app.get('/v1/jurisdiction', auth, async (c) => {
    const country = deps.config.country;
    if (!country) throw new SpamxError('CONFLICT', 'this node has no "country" in config.json: set the centre\'s ISO 3166-1 alpha-2 code and restart it');
    deps.project();
    const table = deps.origins();
    const query = { country, self: deps.config.id, since: sinceParam(c.req.query('since')), now: deps.clock(), url: deps.publicUrl() };
    return c.json(withAsNames(await threads.run<JurisdictionAnswer>({ kind: 'jurisdiction', query }, table), table));
  });
  return app;
}
