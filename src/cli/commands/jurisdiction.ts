import { SpamxError } from '../../core/errors.js';
import { jurisdictionRows, withAsNames } from '../../read/jurisdiction.js';
import { csvField } from '../../serve/formats/plain-formats.js';
import { dataDir, sinceOption, UsageError, type DataOptions } from '../args.js';
import { withNode } from './open-node.js';

/**
 * `spamx jurisdiction`: what partners list inside this centre's own country, grouped by network
 * (GET /v1/jurisdiction). CSV has one row per piece and source centre, the columns a centre hands
 * its domestic ISPs; `--since` the time of the last hand-over gives only what is new.
 */
export async function jurisdictionCommand(o: DataOptions & { since?: string; format?: string }): Promise<number> {
  const format = o.format ?? 'csv';
  if (format !== 'csv' && format !== 'json') throw new UsageError(`--format must be csv or json, not "${format}"`);
  const since = sinceOption(o.since);
  return withNode(dataDir(o.data), async (node) => {
    const country = node.config.country;
    if (!country) throw new SpamxError('CONFIG_INVALID', `${node.config.paths.config} has no "country": set the centre's ISO 3166-1 alpha-2 code`);
    node.project();
    const table = node.ctx.origins.current();
    const answer = withAsNames(jurisdictionRows(node.store, table, { country, self: node.config.id, since, now: node.clock(), url: node.url }), table);
    if (format === 'json') {
      process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
      return 0;
    }
    const lines = ['prefix,asn,as_name,country,publisher,first_seen,last_seen,reports,seq,batch_url'];
    for (const row of answer.rows) {
      for (const s of row.sources) {
        lines.push(
          `${row.prefix},${row.asn ?? ''},${csvField(row.asName ?? '')},${answer.country},${s.publisher},${s.firstSeen},${s.lastSeen},${s.reports},${s.seq},${s.batchUrl}`,
        );
      }
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  });
}
