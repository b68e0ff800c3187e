import { createHash } from 'node:crypto';
import { aggregateKeyPages } from '../core/aggregate.js';
import { SpamxError } from '../core/errors.js';
import { parseTimestamp } from '../core/time.js';
import { effectiveFilteredCount, effectivePages, parseRowPage } from '../store/effective-pages.js';
import type { EffectiveFilter } from '../store/effective-query.js';
import { publishersWithBatches } from '../store/feed-store.js';
import { effectiveVersion, getMeta, storeEpoch } from '../store/meta-store.js';
import type { Store } from '../store/open-store.js';
import { openSnapshotReader } from '../store/snapshot-reader.js';
import { FORMATS, type BlocklistFormat, type BlocklistRow } from './formats/index.js';
import { listParam } from './query-params.js';

const MAX_SOURCES = 100;

export interface BlocklistQuery extends EffectiveFilter {
  readonly format: BlocklistFormat;
  readonly aggregate: boolean;
}

/**
 * Reads `format`, `family`, `min_sources`, `source` (repeatable), `since` (RFC 3339 or epoch
 * seconds; pieces seen since then) and `aggregate` from a query, failing with BAD_REQUEST
 * naming the parameter.
 */
export function parseBlocklistQuery(get: (name: string) => string | undefined, getAll: (name: string) => string[]): BlocklistQuery {
  const name = get('format') ?? 'txt';
  const format = FORMATS.get(name);
  if (!format) throw new SpamxError('BAD_REQUEST', `format "${name}" is not one of ${[...FORMATS.keys()].join(', ')}`);
  const family = get('family');
  if (family !== undefined && family !== '4' && family !== '6') throw new SpamxError('BAD_REQUEST', 'family must be 4 or 6');
  const min = get('min_sources');
  if (min !== undefined && !/^[1-9]\d{0,3}$/.test(min)) throw new SpamxError('BAD_REQUEST', 'min_sources must be a positive integer');
  const sinceText = get('since');
  let since: number | undefined;
  if (sinceText !== undefined) {
    since = /^\d{1,12}$/.test(sinceText) ? Number(sinceText) * 1000 : parseTimestamp(sinceText);
    if (since === undefined) throw new SpamxError('BAD_REQUEST', 'since must be an RFC 3339 UTC time or epoch seconds');
  }
  const aggregate = get('aggregate');
  if (aggregate !== undefined && aggregate !== 'true' && aggregate !== 'false') throw new SpamxError('BAD_REQUEST', 'aggregate must be true or false');
  // Each one is a condition of the SQL that reads the list (src/store/effective-pages.ts).
  const sources = listParam(getAll('source'), 'source', MAX_SOURCES);
  return {
    format,
    family: family === undefined ? undefined : (Number(family) as 4 | 6),
    minSources: min === undefined ? undefined : Number(min),
    sources,
    since,
    aggregate: aggregate === 'true',
  };
}

export interface OpenedBlocklist {
  readonly etag: string;
  readonly contentType: string;
  readonly chunks: Generator<string>;
  /** Ends the read snapshot; call once the chunks are consumed or abandoned. */
  close(): void;
}

/**
 * Opens one consistent snapshot of the effective list on its own read connection and renders
 * it lazily, so a ten-million-line list streams in constant memory. The strong ETag names the
 * store, the list's version and the query, and the content depends on nothing else (the time in
 * headers is when the list last changed, not now).
 */
export function openBlocklist(store: Store, query: BlocklistQuery, node: { id: string; url: string; dnsblTtl?: number }): OpenedBlocklist {
  const { store: reader, close } = openSnapshotReader(store);
  try {
    const etag = blocklistEtag(store, reader, query);
    const sources = publishersWithBatches(reader).filter((s) => !query.sources?.length || query.sources.includes(s));
    const count = effectiveFilteredCount(reader, query);
    const aggregate = query.aggregate || query.format.alwaysAggregate === true;
    const meta = {
      node: node.id,
      asOf: Number(getMeta(reader, 'effective_updated_at') ?? 0),
      count,
      sources,
      aggregated: aggregate,
      lookupUrl: `${node.url}/v1/lookup/`,
      family: query.family,
      dnsblTtl: node.dnsblTtl,
    };
    const rows = listedRows(reader, query, aggregate);
    return { etag, contentType: query.format.contentType, chunks: query.format.render(rows, meta), close };
  } catch (err) {
    close();
    throw err;
  }
}

/**
 * What a HEAD of the list answers, from one read of the list's version and no snapshot: a GET's
 * ETag and content type without the body work (RFC 9110 §9.3.2). hono answers HEAD by running
 * the GET handler and dropping its body unread, which left the snapshot of openBlocklist open.
 */
export function blocklistHead(store: Store, query: BlocklistQuery): Pick<OpenedBlocklist, 'etag' | 'contentType'> {
  return { etag: blocklistEtag(store, store, query), contentType: query.format.contentType };
}

/** The strong ETag of the list `query` asks for, as of `reader`'s view of `store`. */
function blocklistEtag(store: Store, reader: Store, query: BlocklistQuery): string {
  const queryId = JSON.stringify([query.format.name, query.family, query.minSources, query.sources, query.since, query.aggregate]);
  return `"bl-${storeEpoch(store)}-${effectiveVersion(reader)}-${createHash('sha256').update(queryId).digest('base64url').slice(0, 12)}"`;
}

/**
 * The rows a format renders, read by the page (src/store/effective-pages.ts) and only as much of
 * each piece as the output needs: the cover is computed from the sort keys alone, and a format
 * that writes only prefixes gets only prefixes.
 */
function* listedRows(reader: Store, query: BlocklistQuery, aggregate: boolean): Generator<BlocklistRow> {
  if (aggregate) {
    for (const cidrs of aggregateKeyPages(effectivePages(reader, query, 'keys'))) for (const prefix of cidrs) yield { prefix };
  } else if (query.format.prefixOnly) {
    for (const page of effectivePages(reader, query, 'prefixes')) for (const prefix of page.split('\n')) yield { prefix };
  } else {
    for (const page of effectivePages(reader, query, 'rows')) yield* parseRowPage(page);
  }
}
