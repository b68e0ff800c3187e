import { formatTimestamp } from '../core/time.js';
import type { MergedRow } from '../store/merged-query.js';

export const BLOCKLIST_FORMATS = ['txt', 'json'] as const;
export type BlocklistFormat = (typeof BLOCKLIST_FORMATS)[number];

export interface BlocklistMeta {
  readonly node: string;
  readonly generatedAt: number;
}

export const CONTENT_TYPES: Record<BlocklistFormat, string> = {
  txt: 'text/plain; charset=utf-8',
  json: 'application/json',
};

/** Plain list: a `#` header, then one canonical prefix per line. */
export function* txtLines(rows: Iterable<MergedRow>, meta: BlocklistMeta): Generator<string> {
  yield `# spamx merged blocklist from ${meta.node}\n# generated ${formatTimestamp(meta.generatedAt)}\n`;
  for (const row of rows) yield `${row.prefix}\n`;
}

/** `{"node","generatedAt","prefixes":[…]}` with one object per prefix, written as it streams. */
export function* jsonDocument(rows: Iterable<MergedRow>, meta: BlocklistMeta): Generator<string> {
  yield `{"node":${JSON.stringify(meta.node)},"generatedAt":"${formatTimestamp(meta.generatedAt)}","prefixes":[`;
  let first = true;
  for (const row of rows) {
    yield `${first ? '' : ','}\n${JSON.stringify(jsonRow(row))}`;
    first = false;
  }
  yield '\n]}\n';
}

export function jsonRow(row: MergedRow) {
  return {
    prefix: row.prefix,
    firstSeen: formatTimestamp(row.firstSeen),
    lastSeen: formatTimestamp(row.lastSeen),
    reports: row.reports,
    expires: formatTimestamp(row.expires),
    sources: row.sources.split(' ').sort(),
  };
}
