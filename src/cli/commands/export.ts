import { once } from 'node:events';
import { SpamxError } from '../../core/errors.js';
import { openBlocklist, parseBlocklistQuery } from '../../serve/blocklist-export.js';
import { DATA, dataDir, parse } from '../args.js';
import { withNode } from './open-node.js';

/**
 * `spamx export`: the effective blocklist on stdout, in every format and with every filter of
 * GET /v1/blocklist (`--format`, `--family`, `--min-sources`, `--source` repeatable, `--since`,
 * `--aggregate`).
 */
export async function exportCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      ...DATA,
      format: { type: 'string' },
      family: { type: 'string' },
      'min-sources': { type: 'string' },
      source: { type: 'string', multiple: true },
      since: { type: 'string' },
      aggregate: { type: 'boolean' },
    },
    { min: 0, max: 0 },
  );
  const params: Record<string, string | undefined> = {
    format: values.format,
    family: values.family,
    min_sources: values['min-sources'],
    since: values.since,
    aggregate: values.aggregate ? 'true' : undefined,
  };
  let query;
  try {
    query = parseBlocklistQuery((n) => params[n], (n) => (n === 'source' ? (values.source ?? []) : []));
  } catch (err) {
    if (err instanceof SpamxError) throw new (await import('../args.js')).UsageError(err.message);
    throw err;
  }
  return withNode(dataDir(values.data), async (node) => {
    node.project();
    const list = openBlocklist(node.store, query, { id: node.config.id, url: node.url, dnsblTtl: node.config.dnsbl.ttl });
    try {
      let buffer = '';
      for (const chunk of list.chunks) {
        buffer += chunk;
        if (buffer.length > 65_536) {
          if (!process.stdout.write(buffer)) await once(process.stdout, 'drain');
          buffer = '';
        }
      }
      process.stdout.write(buffer);
    } finally {
      list.close();
    }
    return 0;
  });
}

