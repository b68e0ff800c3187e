import { setImmediate as nextTurn } from 'node:timers/promises';
import { netChanges } from '../../core/change-stream.js';
import type { OriginPiece } from '../../core/origin.js';
import { cutRange, keyRange, originCut, type OriginCut } from '../../core/origin-cut.js';
import type { OriginTable } from '../../core/origin-table.js';
import { scopeSpecs } from '../../core/scope-spec.js';
import { formatTimestamp } from '../../core/time.js';
import { reachesEveryone, TLP_AMBER } from '../../core/tlp.js';
import { lastChangeId, prunedThrough } from '../../store/effective-query.js';
import { changesBetween, lastChangeBefore, type LoggedChange } from '../../store/mail-report-store.js';
import { storeEpoch } from '../../store/meta-store.js';
import type { Store } from '../../store/open-store.js';
import type { Subscriber } from '../../store/subscriber-store.js';
import { openBlocklist, type BlocklistQuery } from '../blocklist-export.js';
import { listAudience } from '../blocklist-audience.js';
import { FORMATS } from '../formats/index.js';

/*
 * One scoped subscriber's report of one UTC day: the listings inside its scope that were new that
 * day, that were removed, and how many stayed listed, from the change log cut to the scope as the
 * change stream cuts it (src/serve/blocklist-routes.ts); with the abuse-desk CSV of the scope's
 * list attached, as `GET /v1/blocklist?format=abuse-csv` serves it to the key.
 */

export const DAY_MS = 86_400_000;

/** New and removed pieces each listed in the text up to this many; the rest are counted. */
const MAX_LINES = 1_000;
/** Change-log ids read at a time, the event loop given a turn between (mail-report-store.ts). */
const LOG_WINDOW = 20_000;
/** Times a report's list is read again when the list changed while its read began. */
const SNAPSHOT_TRIES = 5;

export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** [start, end) of a UTC day written YYYY-MM-DD; undefined for anything else (2026-02-30 too). */
export function utcDayBounds(day: string): { start: number; end: number } | undefined {
  if (!/^\d{4}-\d\d-\d\d$/.test(day)) return undefined;
  const start = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(start) || utcDay(start) !== day) return undefined;
  return { start, end: start + DAY_MS };
}

/** A listed piece as the change log last named it in a span. */
export interface SpanPiece {
  readonly key: string;
  readonly prefix: string;
  /** The centres listing it (space-separated), at its last change in the span. */
  readonly sources: string;
  /** Its label (core/tlp.ts rank) at its last change in the span. */
  readonly tlp?: number;
}

/** What a span of the change log did to the list: net, as `netChanges` counts it. */
export interface SpanChanges {
  readonly added: readonly SpanPiece[];
  readonly removed: readonly SpanPiece[];
}

/** The net changes of a span of the log, each piece with its sources at its last change in it. */
export function spanChanges(changes: Iterable<Pick<LoggedChange, 'op' | 'key' | 'prefix' | 'sources' | 'tlp'>>): SpanChanges {
  const last = new Map<string, SpanPiece>();
  function* noted() {
    for (const c of changes) {
      last.set(c.prefix, { key: c.key, prefix: c.prefix, sources: c.sources ?? '', tlp: c.tlp ?? 1 });
      yield c;
    }
  }
  const net = netChanges(noted());
  return { added: net.added.map((p) => last.get(p)!), removed: net.removed.map((p) => last.get(p)!) };
}

/** One finished (or running) UTC day of the log, read once for every subscriber's report. */
export interface DayLog {
  readonly day: string;
  readonly start: number;
  readonly end: number;
  readonly changes: SpanChanges;
  /** The last change before the day ended: later ones are what happened since. */
  readonly lastId: number;
}

export async function readDayLog(store: Store, day: string): Promise<DayLog> {
  const bounds = utcDayBounds(day);
  if (!bounds) throw new RangeError(`"${day}" is not a day written YYYY-MM-DD`);
  const first = prunedThrough(store);
  const { rows, lastBefore } = await readLog(store, bounds.start, bounds.end, first, lastChangeId(store));
  return { day, ...bounds, lastId: Math.max(first, lastBefore), changes: spanChanges(rows) };
}

/** The changes in (afterId, throughId] logged in [from, until), a window of ids at a time. */
async function readLog(store: Store, from: number, until: number, afterId: number, throughId: number): Promise<{ rows: LoggedChange[]; lastBefore: number }> {
  const rows: LoggedChange[] = [];
  let lastBefore = 0;
  for (let a = afterId; a < throughId; a += LOG_WINDOW) {
    const b = Math.min(a + LOG_WINDOW, throughId);
    for (const row of changesBetween(store, from, until, a, b)) rows.push(row);
    lastBefore = Math.max(lastBefore, lastChangeBefore(store, until, a, b));
    await nextTurn();
  }
  return { rows, lastBefore };
}

/** A piece of the scope the report names, with its origin and sources. */
export interface ReportLine {
  readonly prefix: string;
  readonly country: string | null;
  readonly asn: number | null;
  readonly sources: string;
}

export interface DailyReportInput {
  readonly node: { readonly id: string; readonly name: string; readonly url: string };
  readonly subscriber: Pick<Subscriber, 'name' | 'scope' | 'contact'>;
  readonly day: string;
  /** When the report was made: the attachment's list is as of then. */
  readonly madeAt: number;
  readonly added: readonly ReportLine[];
  readonly removed: readonly ReportLine[];
  /** Pieces listed at the day's end that were listed before it. */
  readonly stillListed: number;
  readonly attachment: { readonly filename: string; readonly content: Buffer; readonly rows: number };
}

export interface DailyReport {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly attachment: { readonly filename: string; readonly content: Buffer; readonly contentType: string };
}

/** The mail, from what was read: subject, plain text and attachment. */
export function composeDailyReport(r: DailyReportInput): DailyReport {
  const { node, subscriber, day } = r;
  const scope = subscriber.scope ? scopeSpecs(subscriber.scope).join(' ') : 'the whole list';
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const lines = [
    `Daily report of spamx node ${node.id} (${node.name}), ${node.url}`,
    `for subscriber ${subscriber.name}, scope ${scope}`,
    `Day: ${day}, 00:00 to 24:00 UTC`,
    '',
    `New:           ${r.added.length}`,
    `Still listed:  ${r.stillListed}`,
    `Removed:       ${r.removed.length}`,
    `Listed at the end of the day: ${r.added.length + r.stillListed}`,
    ...section('New listings', r.added),
    ...section('Removed listings', r.removed),
    '',
    `Attached, ${r.attachment.filename}: every listing in the scope as of ${formatTimestamp(r.madeAt - (r.madeAt % 1000))}, ${count(r.attachment.rows, 'row')}`,
    '(CSV: timestamp,prefix,asn,country,sources,first_seen,last_seen,reports,category,batch_url;',
    'batch_url is the signed batch that listed the piece, which proves the listing).',
    'A listing is reported by its parts inside the scope, each part of one registered country and AS.',
    `Look an address up: ${node.url}/v1/lookup/ADDRESS with your API key.`,
    '',
  ];
  return {
    to: subscriber.contact ?? '',
    subject: `[spamx ${node.id}] ${day}: ${r.added.length} new, ${r.stillListed} still listed, ${r.removed.length} removed in your scope`,
    text: lines.join('\n'),
    attachment: { filename: r.attachment.filename, content: r.attachment.content, contentType: 'text/csv; charset=utf-8' },
  };
}

function section(title: string, pieces: readonly ReportLine[]): string[] {
  if (pieces.length === 0) return [];
  const shown = pieces.slice(0, MAX_LINES).map((p) => {
    const origin = [p.asn === null ? '' : `AS${p.asn}`, p.country ?? ''].filter(Boolean).join(' ');
    return `  ${p.prefix}${origin ? `  ${origin}` : ''}  listed by ${p.sources || '(unknown)'}`;
  });
  const more = pieces.length > MAX_LINES ? [`  … and ${pieces.length - MAX_LINES} more`] : [];
  return ['', `${title} (${pieces.length}):`, ...shown, ...more];
}

/** A list rendered for a report, read a chunk at a time. */
export interface RenderedList {
  readonly chunks: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;
  close(): void;
}

/**
 * Renders the scope's list as `GET /v1/blocklist` does, from one read snapshot begun before it
 * resolves: in a node on its export threads (`onThreads`: a small scope of a large list is a scan
 * of all of it, which must not hold the thread that answers DNS), in a CLI command on its own
 * thread (`renderHere`).
 */
export type ListRenderer = (query: BlocklistQuery, node: ReportSources['node'], origins: OriginTable) => Promise<RenderedList>;

export function renderHere(store: Store): ListRenderer {
  return async (query, node, origins) => openBlocklist(store, query, node, () => origins);
}

export function onThreads(threads: { open: (...args: Parameters<ListRenderer>) => Promise<{ body: AsyncIterable<Uint8Array>; close(): void }> }): ListRenderer {
  return async (query, node, origins) => {
    const list = await threads.open(query, node, origins);
    return { chunks: list.body, close: () => list.close() };
  };
}

export interface ReportSources {
  readonly store: Store;
  readonly origins: OriginTable;
  readonly node: { readonly id: string; readonly name: string; readonly url: string; readonly dnsblTtl?: number; readonly country?: string | undefined };
  readonly render: ListRenderer;
}

/**
 * Reads and composes one subscriber's report of `log`'s day. The attachment is the scope's list
 * from one read snapshot; the list at the day's end is that list with what changed since the day
 * ended undone, read from the log up to the last change the snapshot holds. That change is known
 * when no change was logged while the snapshot began (the log's last id the same before and
 * after); otherwise the list is read again.
 */
export async function makeDailyReport(src: ReportSources, subscriber: Subscriber, log: DayLog, madeAt: number): Promise<DailyReport> {
  const scopes = subscriber.scope ? [subscriber.scope] : [];
  // The attachment holds what this key may see of the labels (core/tlp.ts): amber only for a
  // scoped key, cut to this centre's jurisdiction too; amber+strict and red never.
  const audience = listAudience({ kind: 'subscriber', subscriber }, src.node.country);
  const query: BlocklistQuery = { format: FORMATS.get('abuse-csv')!, aggregate: false, scopes, audience };
  storeEpoch(src.store); // made here if new: export threads read the store read-only
  let list: RenderedList | undefined;
  let through = 0;
  for (let attempt = 1; !list; attempt++) {
    const before = lastChangeId(src.store);
    const opened = await src.render(query, src.node, src.origins);
    through = lastChangeId(src.store);
    if (through === before || attempt === SNAPSHOT_TRIES) list = opened;
    else opened.close();
  }
  const listedNow = new Set<string>();
  const parts: Buffer[] = [];
  let rowCount = -1; // the header is no row
  try {
    const text = new TextDecoder();
    let pending = '';
    let n = 0;
    for await (const chunk of list.chunks) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      parts.push(bytes);
      const rows = (pending + text.decode(bytes, { stream: true })).split('\n');
      pending = rows.pop()!;
      for (const row of rows) {
        // The prefix is the second column (PROTOCOL: abuse-csv only gains columns at the end).
        const comma = row.indexOf(',');
        if (rowCount++ >= 0) listedNow.add(row.slice(comma + 1, row.indexOf(',', comma + 1)));
      }
      if (++n % 16 === 0) await nextTurn();
    }
  } finally {
    list.close();
  }
  const since = spanChanges((await readLog(src.store, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, log.lastId, through)).rows);
  const baseCut = originCut(src.origins, scopes, true);
  const jurisdiction = audience.jurisdiction;
  const amberCut = audience.reader === 'scoped' && jurisdiction ? originCut(src.origins, [...scopes, jurisdiction], true) : undefined;
  // Each piece as this key sees it: green whole (in its scope), amber in the jurisdiction only, the rest not at all.
  const cutLines = (pieces: readonly SpanPiece[]): ReportLine[] =>
    cutPieces(
      pieces.flatMap((p) => (reachesEveryone(p.tlp) ? [[baseCut, p] as const] : p.tlp === TLP_AMBER && amberCut ? [[amberCut, p] as const] : [])),
    );
  const added = cutLines(log.changes.added);
  const removed = cutLines(log.changes.removed);
  // The scope's list at the day's end: now, less what was added since, plus what was removed since.
  const atEnd = new Set(listedNow);
  for (const p of cutLines(since.added)) atEnd.delete(p.prefix);
  for (const p of cutLines(since.removed)) atEnd.add(p.prefix);
  for (const p of added) atEnd.delete(p.prefix);
  return composeDailyReport({
    node: src.node,
    subscriber,
    day: log.day,
    madeAt,
    added,
    removed,
    stillListed: atEnd.size,
    attachment: { filename: `spamx-${src.node.id}-${subscriber.name}-${log.day}.csv`, content: Buffer.concat(parts), rows: Math.max(0, rowCount) },
  });
}

/** The parts of each piece inside the cut, in address order, without repeats. */
function cutPieces(pieces: readonly (readonly [OriginCut, SpanPiece])[]): ReportLine[] {
  const out = new Map<string, ReportLine & { piece: OriginPiece }>();
  for (const [cut, p] of pieces) {
    const { family, start, end } = keyRange(p.key);
    for (const part of cutRange(cut, family, start, end)) {
      if (!out.has(part.prefix)) out.set(part.prefix, { prefix: part.prefix, country: part.country, asn: part.asn, sources: p.sources, piece: part });
    }
  }
  return [...out.values()]
    .sort((a, b) => a.piece.family - b.piece.family || (a.piece.start < b.piece.start ? -1 : a.piece.start > b.piece.start ? 1 : 0))
    .map(({ piece: _piece, ...line }) => line);
}
