import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { recipientsColumn } from '../core/sealed-payload.js';
import { SpamxError } from '../core/errors.js';
import type { ParsedReport } from '../core/report.js';
import { formatTimestamp } from '../core/time.js';
import { listRefusals } from '../store/refusal-store.js';
import { recentPullFailures } from '../store/peer-state-store.js';
import { intParam } from './query-params.js';
import { operatorAuth } from './operator-auth.js';
import type { ServeDeps } from './deps.js';
import { parseTlp, tlpRank } from '../core/tlp.js';

const DelistBody = z.object({ prefixes: z.array(z.string()).min(1), reason: z.string().max(256).optional() }).strict();
const ReportsBody = z.union([z.array(z.unknown()), z.object({ entries: z.array(z.unknown()), tlp: z.string().optional(), to: z.array(z.string()).max(32).optional() }).strict()]);

/** PROTOCOL "Operator endpoints": everything here needs the node's operator token. */
export function operatorRoutes(deps: ServeDeps): Hono {
  const app = new Hono();
  const auth = operatorAuth(deps);
  const limit = bodyLimit({
    maxSize: deps.config.serve.maxRequestBytes,
    onError: () => {
      throw new SpamxError('PAYLOAD_TOO_LARGE', `request body exceeds ${deps.config.serve.maxRequestBytes} bytes`);
    },
  });

  app.post('/v1/reports', auth, limit, async (c) => {
    const type = c.req.header('content-type') ?? '';
    let parsed: ParsedReport;
    if (type.startsWith('application/json')) {
      const body = ReportsBody.safeParse(await c.req.json().catch(() => undefined));
      if (!body.success) throw new SpamxError('BAD_REQUEST', 'JSON body must be an array of report objects or {"entries":[…]}');
      // The label: the body's `tlp` member, or `?tlp=` (core/tlp.ts parseTlp names what is wrong).
      const tlp = (Array.isArray(body.data) ? undefined : body.data.tlp) ?? c.req.query('tlp');
      const tlpLabel = tlp === undefined ? undefined : { tlp: tlpRank(parseTlp(tlp, 'tlp')) };
      // `to`: sealed to these pinned partners (ingest/seal-rules.ts checks each; 400 names the pinned ones).
      const recipients = recipientsColumn(Array.isArray(body.data) ? [] : (body.data.to ?? []));
      const label = recipients === null ? tlpLabel : { ...tlpLabel, recipients };
      parsed = deps.actions.reportObjects(Array.isArray(body.data) ? body.data : body.data.entries, label);
    } else if (type === '' || type.startsWith('text/plain') || type.startsWith('text/csv')) {
      const tlp = c.req.query('tlp');
      parsed = deps.actions.reportText(await c.req.text(), tlp === undefined ? undefined : { tlp: tlpRank(parseTlp(tlp, 'tlp')) });
    } else {
      throw new SpamxError('BAD_REQUEST', `unsupported content-type ${type}; send text/plain, text/csv or application/json`);
    }
    return c.json(reportAnswer(parsed), parsed.accepted.length > 0 || parsed.refused.length === 0 ? 202 : 422);
  });

  app.post('/v1/delist', auth, limit, async (c) => {
    const body = DelistBody.safeParse(await c.req.json().catch(() => undefined));
    if (!body.success) throw new SpamxError('BAD_REQUEST', 'body must be {"prefixes":[…], "reason"?: "…"}');
    const parsed = deps.actions.delist(body.data.prefixes, body.data.reason ?? null);
    return c.json(reportAnswer(parsed), parsed.accepted.length > 0 ? 202 : 422);
  });

  app.post('/v1/publish', auth, async (c) => c.json({ batches: await deps.actions.publish() }));

  app.post('/v1/peers/:id/pull', auth, async (c) => {
    const report = await deps.actions.pull(c.req.param('id'));
    if (!report) throw new SpamxError('NOT_FOUND', `no pinned peer ${c.req.param('id')}`);
    return c.json(report, report.ok ? 200 : report.error?.code === 'PEER_BUSY' ? 409 : 502);
  });

  app.get('/v1/status', auth, (c) => c.json(deps.actions.status()));

  app.get('/v1/refusals', auth, (c) =>
    c.json({
      // PROTOCOL "Conventions": timestamps are RFC 3339 UTC (the store keeps epoch milliseconds).
      refusals: listRefusals(deps.store, {
        publisher: c.req.query('publisher'),
        code: c.req.query('code'),
        before: c.req.query('before') ? intParam(c.req.query('before'), 'before', 0, 1, Number.MAX_SAFE_INTEGER) : undefined,
        limit: intParam(c.req.query('limit'), 'limit', 100, 1, 10_000),
      }).map((r) => ({ ...r, at: formatTimestamp(r.at) })),
    }),
  );

  app.get('/v1/pull-failures', auth, (c) =>
    c.json({
      failures: recentPullFailures(deps.store, c.req.query('peer') ?? null, intParam(c.req.query('limit'), 'limit', 100, 1, 10_000)).map((f) => ({
        ...f,
        at: formatTimestamp(f.at),
      })),
    }),
  );

  return app;
}

function reportAnswer(parsed: ParsedReport) {
  return {
    accepted: parsed.accepted.length,
    refused: parsed.refused.map((r) => ({ line: r.line, text: r.text, code: r.code, reason: r.reason })),
  };
}
