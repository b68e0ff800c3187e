import { formatTimestamp } from '../../core/time.js';
import type { BlocklistFormat } from './format.js';
import { lineChunks } from './line-chunks.js';
import { csvField } from './plain-formats.js';
import { timestampFormatter } from './timestamp-text.js';

/**
 * The abuse-desk report (`format=abuse-csv`, PROTOCOL "Additions: origins"): one row per listed
 * piece of one origin, with the columns abuse desks import from network reports. The header is
 * the format's version: columns are only ever added at the end, so an importer that reads by
 * name or by position keeps working. `timestamp` is when the list was last changed (the report's
 * "as of"); `sources` the centres listing the piece, space-separated; `batch_url` the signed
 * batch that last listed it, from which an auditor can prove the listing.
 */
export const abuseCsv: BlocklistFormat = {
  name: 'abuse-csv',
  contentType: 'text/csv; charset=utf-8',
  withOrigin: true,
  withBatch: true,
  *render(rows, meta) {
    const iso = timestampFormatter();
    const at = formatTimestamp(meta.asOf);
    yield 'timestamp,prefix,asn,country,sources,first_seen,last_seen,reports,category,batch_url\n';
    yield* lineChunks(
      rows,
      (r) =>
        `${at},${r.prefix},${r.asn ?? ''},${r.country ?? ''},${csvField(r.sources ?? '')},${r.firstSeen === undefined ? '' : iso(r.firstSeen)},` +
        `${r.lastSeen === undefined ? '' : iso(r.lastSeen)},${r.reports ?? ''},${csvField(r.category ?? '')},${r.batchUrl ?? ''}`,
    );
  },
};
