import { Hono } from 'hono';
import { carveAllowlisted } from '../core/blocklist.js';
import { SpamxError } from '../core/errors.js';
import { mergedRows } from '../store/merged-query.js';
import { intParam } from './app.js';
import { BLOCKLIST_FORMATS, CONTENT_TYPES, jsonDocument, txtLines, type BlocklistFormat } from './blocklist-formats.js';
import type { ServeDeps } from './deps.js';
import { streamText } from './stream-text.js';

/** PROTOCOL "Subscriber endpoints": the merged blocklist, streamed from its own read connection. */
export function blocklistRoutes(deps: ServeDeps): Hono {
  const app = new Hono();
  app.get('/v1/blocklist', (c) => {
    const format = (c.req.query('format') ?? 'txt') as BlocklistFormat;
    if (!BLOCKLIST_FORMATS.includes(format)) {
      throw new SpamxError('BAD_REQUEST', `format must be one of ${BLOCKLIST_FORMATS.join(', ')}`);
    }
    const familyText = c.req.query('family');
    if (familyText !== undefined && familyText !== '4' && familyText !== '6') throw new SpamxError('BAD_REQUEST', 'family must be 4 or 6');
    const minSources = intParam(c.req.query('min_sources'), 'min_sources', 1, 1, 1000);
    const now = deps.clock();
    const reader = deps.store.openReader();
    const rows = carveAllowlisted(
      mergedRows(reader, now, { family: familyText === undefined ? undefined : (Number(familyText) as 4 | 6), minSources }),
      deps.policy().allowlist,
    );
    const meta = { node: deps.config.id, generatedAt: now };
    const chunks = format === 'json' ? jsonDocument(rows, meta) : txtLines(rows, meta);
    return c.body(streamText(chunks, () => reader.close()), 200, { 'content-type': CONTENT_TYPES[format] });
  });
  app.get('/v1/lookup/:ip', (c) => c.json(deps.actions.lookup(c.req.param('ip'))));
  return app;
}
