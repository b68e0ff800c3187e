import { cutRange, keyRange, originCut } from '../core/origin-cut.js';
import type { OriginTable } from '../core/origin-table.js';
import { formatTimestamp } from '../core/time.js';
import { tlpName, type TlpLabel } from '../core/tlp.js';
import { effectiveRows } from '../store/effective-query.js';
import { getMeta } from '../store/meta-store.js';
import type { Store } from '../store/open-store.js';
import { pieceSources } from '../store/piece-sources.js';
import { openSnapshotReader } from '../store/snapshot-reader.js';
import { datasetOf } from './origin-dataset.js';

export interface JurisdictionSource {
  readonly publisher: string;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly reports: number;
  readonly seq: number;
  /** The signed batch that last listed it, for the ISP that must act (and its auditor). */
  readonly batchUrl: string;
}

export interface JurisdictionRow {
  readonly prefix: string;
  readonly asn: number | null;
  readonly asName: string | null;
  readonly sources: JurisdictionSource[];
  /** The piece's distribution label (core/tlp.ts name): this list is the operator's, every label in it. */
  readonly tlp: TlpLabel;
}

export interface JurisdictionAnswer {
  readonly country: string;
  readonly asOf: string;
  readonly dataset: ReturnType<typeof datasetOf>;
  readonly rows: JurisdictionRow[];
}

/** What a jurisdiction list is asked with; plain data, so an export thread can run it. */
export interface JurisdictionQueryData {
  /** This centre's own country (config `country`). */
  readonly country: string;
  /** This centre's id: its own listings are not what partners report. */
  readonly self: string;
  /** Only what is new since then: a partner first saw it, or this node listed it, at or after. */
  readonly since?: number | undefined;
  readonly now: number;
  /** The node's public URL: batch links are `<url>/v1/feeds/<publisher>/batches/<seq>`. */
  readonly url: string;
}

/**
 * What partners list inside this centre's own country (PROTOCOL "Additions: origins",
 * `GET /v1/jurisdiction`): the list a centre hands to its domestic ISPs. Listed space is cut at
 * registry boundaries to the country's ranges, so a partner's /16 straddling two countries
 * contributes only its part here; rows are grouped by network (AS), then in address order, and
 * name each partner listing them with its signed batch. Read from one snapshot of the served
 * list and the listings behind it, never from the batches. AS names are left null here (an
 * export thread's tables have none): `withAsNames` fills them in.
 */
export function jurisdictionRows(store: Store, table: OriginTable, q: JurisdictionQueryData): JurisdictionAnswer {
  const cut = originCut(table, [{ countries: [q.country], asns: [], within: [] }], false);
  const { store: reader, close } = openSnapshotReader(store);
  try {
    const rows: JurisdictionRow[] = [];
    for (const piece of effectiveRows(reader)) {
      if (piece.sources === q.self) continue; // only this centre lists it
      const { family, start, end } = keyRange(piece.key);
      const parts = cutRange(cut, family, start, end, piece.prefix);
      if (parts.length === 0) continue;
      const sources = pieceSources(reader, piece.key, q.now).filter((s) => s.publisher !== q.self);
      if (sources.length === 0) continue;
      if (q.since !== undefined && piece.listedAt < q.since && !sources.some((s) => s.firstSeen >= q.since!)) continue;
      const named = sources.map((s) => ({
        publisher: s.publisher,
        firstSeen: formatTimestamp(s.firstSeen),
        lastSeen: formatTimestamp(s.lastSeen),
        reports: s.reports,
        seq: s.seq,
        batchUrl: `${q.url}/v1/feeds/${s.publisher}/batches/${s.seq}`,
      }));
      for (const part of parts) rows.push({ prefix: part.prefix, asn: part.asn, asName: null, sources: named, tlp: tlpName(piece.tlp) });
    }
    // Grouped by network: an ISP's abuse desk gets its rows together; unknown networks last.
    const order = new Map(rows.map((r, i) => [r, i]));
    rows.sort((a, b) => (a.asn ?? Infinity) - (b.asn ?? Infinity) || order.get(a)! - order.get(b)!);
    return { country: q.country, asOf: formatTimestamp(Number(getMeta(reader, 'effective_updated_at') ?? q.now)), dataset: datasetOf(table), rows };
  } finally {
    close();
  }
}

/** The answer with each row's AS name, from tables that have the names (the main thread's). */
export function withAsNames(answer: JurisdictionAnswer, table: OriginTable): JurisdictionAnswer {
  return { ...answer, rows: answer.rows.map((r) => ({ ...r, asName: r.asn === null ? null : table.asNameOf(r.asn) })) };
}
