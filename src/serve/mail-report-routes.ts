import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { SpamxError } from '../core/errors.js';
import { analyseMessage, headerEnd, wantsBody } from '../core/mail-message.js';
import { originSeenAt, TrustedRelays } from '../core/mail-origin.js';
import { formatTimestamp } from '../core/time.js';
import { parseTlp, tlpRank } from '../core/tlp.js';
import type { ServeDeps } from './deps.js';
import { operatorAuth } from './operator-auth.js';

/**
 * `POST /v1/reports/mail` (operator): one spam sample or abuse report as `message/rfc822`; its
 * origin (core/mail-message.ts, as `spamx report --mail` finds it) is queued as a report line
 * under local policy. The answer names the origin and what was queued, or the refusal's code.
 */
export function mailReportRoutes(deps: ServeDeps): Hono {
  const app = new Hono();
  const auth = operatorAuth(deps);
  const trusted = new TrustedRelays(deps.config.mail.trustedRelays);
  const limit = bodyLimit({
    maxSize: deps.config.serve.maxRequestBytes,
    onError: () => {
      throw new SpamxError('MAIL_TOO_LARGE', `the message exceeds ${deps.config.serve.maxRequestBytes} bytes (serve.maxRequestBytes)`);
    },
  });

  app.post('/v1/reports/mail', auth, limit, async (c) => {
    const type = (c.req.header('content-type') ?? '').toLowerCase();
    if (!type.startsWith('message/rfc822')) throw new SpamxError('BAD_REQUEST', `unsupported content-type ${type || '(none)'}; send one message as message/rfc822`);
    const tlp = c.req.query('tlp');
    const label = tlp === undefined ? undefined : { tlp: tlpRank(parseTlp(tlp, 'tlp')) };
    const message = Buffer.from(await c.req.arrayBuffer());
    const end = headerEnd(message);
    const header = end < 0 ? message : message.subarray(0, end);
    const verdict = await analyseMessage(header, end >= 0 && wantsBody(header) ? message.subarray(end) : null, trusted);
    if (!verdict.ok) throw new SpamxError(verdict.code, verdict.reason);
    const at = formatTimestamp(originSeenAt(verdict, deps.clock()));
    const parsed = deps.actions.reportObjects([{ prefix: verdict.address, firstSeen: at, lastSeen: at, reports: 1 }], label);
    const origin = deps.origins().originOf(verdict.address);
    const answer = {
      origin: { address: verdict.address, seen: at, via: verdict.via, hop: verdict.hop, country: origin.country, asn: origin.asn },
      queued: parsed.accepted.length,
      refused: parsed.refused.map((r) => ({ code: r.code, reason: r.reason })),
    };
    return c.json(answer, parsed.accepted.length > 0 ? 202 : 422);
  });

  return app;
}
