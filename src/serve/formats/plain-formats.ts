import { formatTimestamp } from '../../core/time.js';
import type { BlocklistFormat, BlocklistMeta, BlocklistRow } from './format.js';
import { lineChunks } from './line-chunks.js';
import { timestampFormatter } from './timestamp-text.js';

type Stamp = (ms: number | undefined) => string;

/** A timestamp column's text for one export; empty for aggregated rows, which have none. */
function stamps(): Stamp {
  const format = timestampFormatter();
  return (ms) => (ms === undefined ? '' : format(ms));
}

function* header(meta: BlocklistMeta, comment: string): Generator<string> {
  yield `${comment} spamx blocklist from ${meta.node}\n`;
  yield `${comment} as of ${formatTimestamp(meta.asOf)}\n`;
  yield `${comment} ${meta.count} prefixes${meta.aggregated ? ', aggregated into the minimal CIDR cover' : ''}\n`;
  yield `${comment} sources: ${meta.sources.join(' ')}\n`;
}

/** One canonical prefix per line after a `#` header naming the node, time, count and sources. */
export const txt: BlocklistFormat = {
  name: 'txt',
  contentType: 'text/plain; charset=utf-8',
  prefixOnly: true,
  *render(rows, meta) {
    yield* header(meta, '#');
    yield* lineChunks(rows, (row) => row.prefix);
  },
};

export const csvField = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/**
 * `prefix,first_seen,last_seen,reports,sources,expires,country,asn`; sources space-separated. A
 * range spanning several origins is written as its pieces, one per origin (PROTOCOL "Additions:
 * origins": columns are only ever added at the end).
 */
export const csv: BlocklistFormat = {
  name: 'csv',
  contentType: 'text/csv; charset=utf-8',
  withOrigin: true,
  *render(rows) {
    const iso = stamps();
    yield 'prefix,first_seen,last_seen,reports,sources,expires,country,asn\n';
    yield* lineChunks(
      rows,
      (r) => `${r.prefix},${iso(r.firstSeen)},${iso(r.lastSeen)},${r.reports ?? ''},${csvField(r.sources ?? '')},${iso(r.expires)},${r.country ?? ''},${r.asn ?? ''}`,
    );
  },
};

function jsonRow(r: BlocklistRow, iso: Stamp) {
  if (r.sources === undefined) return r.tlp === undefined ? { prefix: r.prefix } : { prefix: r.prefix, tlp: r.tlp };
  const row = {
    prefix: r.prefix,
    firstSeen: iso(r.firstSeen),
    lastSeen: iso(r.lastSeen),
    reports: r.reports,
    expires: iso(r.expires),
    sources: r.sources.split(' '),
    country: r.country ?? null,
    asn: r.asn ?? null,
  };
  // Only the operator's exports carry labels (serve/blocklist-export.ts): others' rows are unchanged.
  return r.tlp === undefined ? row : { ...row, tlp: r.tlp };
}

/** `{"node","asOf","count","sources","prefixes":[…]}`, written as it streams. */
export const json: BlocklistFormat = {
  name: 'json',
  contentType: 'application/json',
  withOrigin: true,
  *render(rows, meta) {
    yield `{"node":${JSON.stringify(meta.node)},"asOf":"${formatTimestamp(meta.asOf)}","count":${meta.count},` +
      `"aggregated":${meta.aggregated},"sources":${JSON.stringify(meta.sources)},"prefixes":[`;
    const iso = stamps();
    let first = true;
    for (const row of rows) {
      yield `${first ? '' : ','}\n${JSON.stringify(jsonRow(row, iso))}`;
      first = false;
    }
    yield '\n]}\n';
  },
};

/** One JSON object per line, no envelope. */
export const ndjson: BlocklistFormat = {
  name: 'ndjson',
  contentType: 'application/x-ndjson',
  withOrigin: true,
  *render(rows) {
    const iso = stamps();
    yield* lineChunks(rows, (row) => JSON.stringify(jsonRow(row, iso)));
  },
};
