import { createHash } from 'node:crypto';
import { aggregateKeyPages, aggregatePrefixes } from '../core/aggregate.js';
import { SpamxError } from '../core/errors.js';
import type { OriginScope } from '../core/origin.js';
import { cutIsNone, cutKey, cutRange, keyRange, originCut, PieceOrder, type OriginCut } from '../core/origin-cut.js';
import type { OriginTable } from '../core/origin-table.js';
import { parseScopeQuery, scopeIsEmpty } from '../core/scope-spec.js';
import { effectiveCountUpTo, effectiveFilteredCount, effectivePages, parseKeyedPage, parseRowPage, restrictedPieces } from '../store/effective-pages.js';
import { TLP_AMBER, TLP_GREEN, tlpName, type TlpReader } from '../core/tlp.js';
import type { EffectiveFilter } from '../store/effective-query.js';
import { publishersWithBatches } from '../store/feed-store.js';
import { effectiveVersion, getMeta, storeEpoch } from '../store/meta-store.js';
import type { Store } from '../store/open-store.js';
import { openSnapshotReader } from '../store/snapshot-reader.js';
import { FORMATS, type BlocklistFormat, type BlocklistRow } from './formats/index.js';
import { listParam, sinceParam } from './query-params.js';

const MAX_SOURCES = 100;

export interface BlocklistQuery extends EffectiveFilter {
  readonly format: BlocklistFormat;
  readonly aggregate: boolean;
  /**
   * Origin scopes the list is cut to, all at once (each a union): the request's `country`, `asn`
   * and `within` filters, and a scoped subscriber key's scope.
   */
  readonly scopes: readonly OriginScope[];
  /** Who reads the list, as far as distribution labels go (core/tlp.ts). */
  readonly audience: ListAudience;
}

/**
 * A list's reader for the labels (core/tlp.ts TlpReader), as plain data for the export threads:
 * - `everyone` (anonymous, a whole-list key, the mailed reports of unscoped keys): clear and green;
 * - `scoped` (a key with a scope): also amber, but only the part inside both the key's scope and
 *   `jurisdiction`, this centre's own country (config `country`), cut at registry boundaries as
 *   the origin filters cut; without a jurisdiction, no amber;
 * - `operator` (`spamx export`): every label, each non-green row naming its label in formats that
 *   carry one (json, ndjson).
 */
export interface ListAudience {
  readonly reader: TlpReader;
  readonly jurisdiction?: OriginScope | undefined;
}

/** The label rule's audience for readers who see clear and green only: the default, failing closed. */
export const EVERYONE: ListAudience = { reader: 'everyone' };

/**
 * Reads `format`, `family`, `min_sources`, `source` (repeatable), `since` (RFC 3339 or epoch
 * seconds; pieces seen since then), `aggregate`, and the origin filters `country`, `asn` and
 * `within` (each repeatable) from a query, failing with BAD_REQUEST naming the parameter.
 */
export function parseBlocklistQuery(get: (name: string) => string | undefined, getAll: (name: string) => string[]): BlocklistQuery {
  const name = get('format') ?? 'txt';
  const format = FORMATS.get(name);
  if (!format) throw new SpamxError('BAD_REQUEST', `format "${name}" is not one of ${[...FORMATS.keys()].join(', ')}`);
  const family = get('family');
  if (family !== undefined && family !== '4' && family !== '6') throw new SpamxError('BAD_REQUEST', 'family must be 4 or 6');
  const min = get('min_sources');
  if (min !== undefined && !/^[1-9]\d{0,3}$/.test(min)) throw new SpamxError('BAD_REQUEST', 'min_sources must be a positive integer');
  const since = sinceParam(get('since'));
  const aggregate = get('aggregate');
  if (aggregate !== undefined && aggregate !== 'true' && aggregate !== 'false') throw new SpamxError('BAD_REQUEST', 'aggregate must be true or false');
  // Each one is a condition of the SQL that reads the list (src/store/effective-pages.ts).
  const sources = listParam(getAll('source'), 'source', MAX_SOURCES);
  const scope = originScopeParams(getAll);
  return {
    format,
    family: family === undefined ? undefined : (Number(family) as 4 | 6),
    minSources: min === undefined ? undefined : Number(min),
    sources,
    since,
    aggregate: aggregate === 'true',
    scopes: scopeIsEmpty(scope) ? [] : [scope],
    audience: EVERYONE,
  };
}

/** The origin filters `country=CC`, `asn=N`, `within=PREFIX` of a subscriber request, as one scope. */
export function originScopeParams(getAll: (name: string) => string[]): OriginScope {
  return parseScopeQuery(listParam(getAll('country'), 'country', MAX_SOURCES), listParam(getAll('asn'), 'asn', MAX_SOURCES), listParam(getAll('within'), 'within', MAX_SOURCES));
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
export function openBlocklist(
  store: Store,
  query: BlocklistQuery,
  node: { id: string; url: string; dnsblTtl?: number },
  origins: () => OriginTable,
): OpenedBlocklist {
  const { store: reader, close } = openSnapshotReader(store);
  try {
    const aggregate = query.aggregate || query.format.alwaysAggregate === true;
    // The origin tables only when the read is cut by them: `spamx export` of a plain list never loads them.
    const withOrigin = query.format.withOrigin === true && !aggregate;
    const table = cutByOrigin(query) ? origins() : undefined;
    const cut = table ? originCut(table, query.scopes, withOrigin) : undefined;
    const etag = blocklistEtag(store, reader, query, cutIsNone(cut) ? undefined : table!.digest);
    const labels = labelRule(reader, query, table, withOrigin);
    const sources = publishersWithBatches(reader).filter((s) => !query.sources?.length || query.sources.includes(s));
    // A `source` filter is read as the publishers this store holds batches of: names it holds none
    // of can list nothing, and a filter naming only such names is answered without a scan (100
    // unknown names kept an export thread scanning a million rows, and the node's writes waiting
    // for the second core).
    const nothing = query.sources !== undefined && query.sources.length > 0 && sources.length === 0;
    if (query.sources?.length) query = { ...query, sources };
    let count: number | undefined;
    const meta = {
      node: node.id,
      asOf: Number(getMeta(reader, 'effective_updated_at') ?? 0),
      // Read when a format writes it (in its header): a read cut by origin counts its pieces in a
      // pass over the keys first, which formats without a count never pay for.
      get count(): number {
        return (count ??= nothing
          ? 0
          : !cut || cutIsNone(cut)
            ? labels.hides
              ? effectiveCountUpTo(reader, query, TLP_GREEN)
              : effectiveFilteredCount(reader, query)
            : cutCount(reader, query, cut, labels));
      },
      sources,
      aggregated: aggregate,
      // The public page (serve/public-lookup/): a listed party follows the link with no key.
      lookupUrl: `${node.url}/lookup/`,
      family: query.family,
      dnsblTtl: node.dnsblTtl,
    };
    const rows = nothing ? [] : !cut || cutIsNone(cut) ? listedRows(reader, query, aggregate, labels) : cutRows(reader, query, aggregate, cut, node.url, labels);
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
export function blocklistHead(store: Store, query: BlocklistQuery, origins: () => OriginTable): Pick<OpenedBlocklist, 'etag' | 'contentType'> {
  return { etag: blocklistEtag(store, store, query, cutByOrigin(query) ? origins().digest : undefined), contentType: query.format.contentType };
}

/** Whether a read is cut by origin: it is filtered by a scope, or its rows carry their origin. */
function cutByOrigin(query: BlocklistQuery): boolean {
  const aggregate = query.aggregate || query.format.alwaysAggregate === true;
  return query.scopes.length > 0 || (query.format.withOrigin === true && !aggregate);
}

/**
 * The strong ETag of the list `query` asks for, as of `reader`'s view of `store`; a list cut by
 * origin also names the origin data it was cut with, which changes the content when reloaded.
 */
function blocklistEtag(store: Store, reader: Store, query: BlocklistQuery, originDigest: string | undefined): string {
  const queryId = JSON.stringify([query.format.name, query.family, query.minSources, query.sources, query.since, query.aggregate, query.scopes, originDigest, query.audience]);
  return `"bl-${storeEpoch(store)}-${effectiveVersion(reader)}-${createHash('sha256').update(queryId).digest('base64url').slice(0, 12)}"`;
}

/**
 * The rows a format renders, read by the page (src/store/effective-pages.ts) and only as much of
 * each piece as the output needs: the cover is computed from the sort keys alone, and a format
 * that writes only prefixes gets only prefixes.
 */
function* listedRows(reader: Store, query: BlocklistQuery, aggregate: boolean, labels: LabelRule): Generator<BlocklistRow> {
  if (aggregate) {
    const pages = effectivePages(reader, query, 'keys');
    for (const cidrs of aggregateKeyPages(labels.hides ? keptKeyPages(pages, labels) : pages)) for (const prefix of cidrs) yield { prefix };
  } else if (query.format.prefixOnly) {
    for (const page of effectivePages(reader, query, 'prefixes')) {
      for (const prefix of page.split('\n')) if (!labels.hides || labels.byPrefix.get(prefix) === undefined) yield { prefix };
    }
  } else if (!labels.hides && !labels.names) {
    for (const page of effectivePages(reader, query, 'rows')) yield* parseRowPage(page);
  } else {
    for (const page of effectivePages(reader, query, 'rows')) {
      for (const row of parseRowPage(page)) {
        const rank = labels.byPrefix.get(row.prefix);
        if (rank === undefined) yield row;
        else if (labels.names) yield { ...row, tlp: tlpName(rank) };
      }
    }
  }
}

/**
 * Which pieces a reader may not see, or sees only in part (core/tlp.ts): `hides` when some
 * served piece's label is beyond what the reader sees whole, `names` for the operator, whose
 * rows name their label. With no restricted piece in the list (the usual case) neither is set
 * and the export runs as it always did.
 */
interface LabelRule {
  readonly hides: boolean;
  readonly names: boolean;
  readonly byKey: ReadonlyMap<string, number>;
  readonly byPrefix: ReadonlyMap<string, number>;
  /** For a scoped reader in a centre with a jurisdiction: amber pieces are cut to it as well. */
  readonly amberCut?: OriginCut | undefined;
}

function labelRule(reader: Store, query: BlocklistQuery, table: OriginTable | undefined, withOrigin: boolean): LabelRule {
  const { byKey, byPrefix } = restrictedPieces(reader);
  const operator = query.audience.reader === 'operator';
  const none = byKey.size === 0;
  const jurisdiction = query.audience.jurisdiction;
  // Amber reaches a scoped key only through the cut to both its scope and this centre's jurisdiction.
  const amberCut = !none && query.audience.reader === 'scoped' && jurisdiction && table ? originCut(table, [...query.scopes, jurisdiction], withOrigin) : undefined;
  return { hides: !none && !operator, names: !none && operator, byKey, byPrefix, amberCut };
}

/** What the rule does with the piece at `key`: show it whole, cut it further (amber), or leave it out. */
function labelOf(labels: LabelRule, key: string): 'whole' | 'amber' | 'hidden' {
  const rank = labels.byKey.get(key);
  if (rank === undefined || !labels.hides) return 'whole';
  return rank === TLP_AMBER && labels.amberCut ? 'amber' : 'hidden';
}

/** `keys` pages (fixed-width keys, core/prefix.ts) without the keys the rule hides. */
function* keptKeyPages(pages: Iterable<string>, labels: LabelRule): Generator<string> {
  for (const page of pages) {
    let kept = '';
    for (let i = 0; i < page.length; ) {
      const width = page.charCodeAt(i) === 0x34 ? 11 : 35;
      const key = page.slice(i, i + width);
      i += width;
      if (labels.byKey.get(key) === undefined) kept += key;
    }
    if (kept !== '') yield kept;
  }
}

/**
 * The rows of a read cut by origin: each listed range cut to the scopes and at origin boundaries,
 * one row per piece, each piece with its origin. Aggregated output gets the cover of the pieces,
 * put back in address order first (nested ranges' pieces interleave).
 */
function* cutRows(reader: Store, query: BlocklistQuery, aggregate: boolean, baseCut: OriginCut, url: string, labels: LabelRule): Generator<BlocklistRow> {
  if (aggregate || (query.format.prefixOnly && !baseCut.withOrigin)) {
    const prefixes = cutKeyPieces(reader, query, baseCut, aggregate, labels);
    if (aggregate) for (const prefix of aggregatePrefixes(prefixes)) yield { prefix };
    else for (const prefix of prefixes) yield { prefix };
    return;
  }
  const withBatch = query.format.withBatch === true;
  for (const page of effectivePages(reader, query, withBatch ? 'abuseRows' : 'keyedRows')) {
    for (const row of parseKeyedPage(page, withBatch)) {
      const label = labelOf(labels, row.key);
      if (label === 'hidden') continue;
      const cut = label === 'amber' ? labels.amberCut! : baseCut;
      const rank = labels.names ? labels.byKey.get(row.key) : undefined;
      const tlp = rank === undefined ? {} : { tlp: tlpName(rank) };
      const { family, start, end } = keyRange(row.key);
      const batch = row.batch;
      const batchUrl = batch && `${url}/v1/feeds/${batch.publisher}/batches/${batch.seq}`;
      // Rows written out member by member: spreading objects per row was most of a CSV export.
      if (family === 4 && start === end && cut.scopes.length === 0) {
        // One address, one origin: the segment holding it, with no piece made (most rows).
        const i = cut.table.originOf4(start as number);
        yield {
          prefix: row.prefix,
          firstSeen: row.firstSeen,
          lastSeen: row.lastSeen,
          reports: row.reports,
          expires: row.expires,
          sources: row.sources,
          country: cut.table.countryAt(i),
          asn: cut.table.asnAt(i),
          batchUrl,
          category: batch?.category,
          ...tlp,
        };
        continue;
      }
      for (const piece of cutRange(cut, family, start, end, row.prefix)) {
        yield {
          prefix: piece.prefix,
          firstSeen: row.firstSeen,
          lastSeen: row.lastSeen,
          reports: row.reports,
          expires: row.expires,
          sources: row.sources,
          country: piece.country,
          asn: piece.asn,
          batchUrl,
          category: batch?.category,
          ...tlp,
        };
      }
    }
  }
}

/** The prefixes of the cut pieces, from the keys alone; in address order when `ordered`. */
function* cutKeyPieces(reader: Store, query: BlocklistQuery, baseCut: OriginCut, ordered: boolean, labels: LabelRule): Generator<string> {
  const order = ordered ? new PieceOrder<{ family: 4 | 6; start: number | bigint; prefix: string }>() : undefined;
  for (const page of effectivePages(reader, query, 'keys')) {
    for (let i = 0; i < page.length; ) {
      const width = page.charCodeAt(i) === 0x34 ? 11 : 35;
      const key = page.slice(i, i + width);
      i += width;
      const label = labelOf(labels, key);
      if (label === 'hidden') continue;
      const pieces = cutKey(label === 'amber' ? labels.amberCut! : baseCut, key);
      if (!order) for (const p of pieces) yield p.prefix;
      else {
        const { family, start } = keyRange(key);
        for (const p of order.add(family, start, pieces)) yield p.prefix;
      }
    }
  }
  if (order) for (const p of order.finish()) yield p.prefix;
}

/** How many pieces a read cut by origin writes (before aggregation). */
function cutCount(reader: Store, query: BlocklistQuery, cut: OriginCut, labels: LabelRule): number {
  let n = 0;
  for (const _ of cutKeyPieces(reader, query, cut, false, labels)) n++;
  return n;
}
