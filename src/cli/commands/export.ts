import { once } from 'node:events';
import { SpamxError } from '../../core/errors.js';
import { EVERYONE, openBlocklist, parseBlocklistQuery } from '../../serve/blocklist-export.js';
import { dataDir, UsageError, type DataOptions } from '../args.js';
import { withProgress } from '../progress.js';
import { withNode } from './open-node.js';

export interface ExportOptions extends DataOptions {
  readonly format?: string;
  readonly family?: string;
  readonly minSources?: string;
  readonly source?: string[];
  readonly since?: string;
  readonly aggregate?: boolean;
  readonly country?: string[];
  readonly asn?: string[];
  readonly within?: string[];
  readonly quiet?: boolean;
  /** `--everyone`: only what reaches everyone (clear, green), for a list served onwards in public. */
  readonly everyone?: boolean;
}

/**
 * `spamx export`: the effective blocklist on stdout, in every format and with every filter of
 * GET /v1/blocklist (`--format`, `--family`, `--min-sources`, `--source` repeatable, `--since`,
 * `--aggregate`, and the origin filters `--country`, `--asn`, `--within`, each repeatable).
 */
export async function exportCommand(o: ExportOptions): Promise<number> {
  const params: Record<string, string | undefined> = {
    format: o.format,
    family: o.family,
    min_sources: o.minSources,
    since: o.since,
    aggregate: o.aggregate ? 'true' : undefined,
  };
  let query;
  try {
    const lists: Record<string, string[] | undefined> = { source: o.source, country: o.country, asn: o.asn, within: o.within };
    // The operator's export holds every label, each non-green row naming it where the format can
    // (json, ndjson); `--everyone` keeps to clear and green, as the DNSBL and anonymous readers.
    query = { ...parseBlocklistQuery((n) => params[n], (n) => lists[n] ?? []), audience: o.everyone ? EVERYONE : { reader: 'operator' as const } };
  } catch (err) {
    // The query's own messages, which name the HTTP parameter: a bad flag is a usage error.
    if (err instanceof SpamxError) throw new UsageError(err.message);
    throw err;
  }
  return withNode(dataDir(o.data), async (node) => {
    node.project();
    const list = openBlocklist(node.store, query, { id: node.config.id, url: node.url, dnsblTtl: node.config.dnsbl.ttl }, () => node.ctx.origins.current());
    // On stderr's terminal while stdout goes to a file or a pipe (not to that terminal): bytes
    // written, since the size of a filtered or aggregated list is not known before it is written.
    await withProgress('export', { unit: 'bytes', quiet: o.quiet || process.stdout.isTTY }, async (progress) => {
      let written = 0;
      try {
        let buffer = '';
        for (const chunk of list.chunks) {
          buffer += chunk;
          if (buffer.length > 65_536) {
            written += buffer.length;
            progress.update(written);
            if (!process.stdout.write(buffer)) await once(process.stdout, 'drain');
            buffer = '';
          }
        }
        process.stdout.write(buffer);
        progress.update(written + buffer.length);
      } finally {
        list.close();
      }
    });
    return 0;
  });
}

