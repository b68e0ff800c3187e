import { setImmediate as nextTurn } from 'node:timers/promises';
import { LookupIndex, type ListingFacts } from '../core/lookup-index.js';
import { parsePrefix } from '../core/prefix.js';
import type { Store } from '../store/open-store.js';
import { openReadSnapshot, type LogPositions } from '../store/read-logs.js';
import { DnsblIndex } from './dnsbl-index.js';

/** The in-memory models of the store that the read side serves from. */
export interface ReadModels {
  /** The effective list for DNS queries (only when the node runs a DNSBL). */
  readonly dnsbl: DnsblIndex | undefined;
  /** Listings, pieces and refused prefixes for `GET /v1/lookup`. */
  readonly lookup: LookupIndex;
}

/** Rows read between two turns of the event loop: a few milliseconds of work. */
const ROWS_PER_TURN = 10_000;

/**
 * New read models filled from one consistent snapshot of the store, with the log positions
 * they reflect. The rows are streamed, so a list of millions is never held twice, and the event
 * loop gets a turn every ROWS_PER_TURN rows: a node building its models at start still answers
 * `/healthz` ("starting") and, from SQLite, lookups.
 */
export async function buildSnapshot(
  store: Store,
  options: { readonly dnsbl: boolean },
  stopped: () => boolean,
): Promise<{ models: ReadModels; positions: LogPositions }> {
  const snapshot = openReadSnapshot(store);
  try {
    const lookup = new LookupIndex();
    const dnsbl = options.dnsbl ? new DnsblIndex() : undefined;
    let rows = 0;
    // Awaited only every ROWS_PER_TURN rows: a promise per row would cost more than the row.
    const due = () => ++rows % ROWS_PER_TURN === 0;
    const pause = async () => {
      await nextTurn();
      return stopped();
    };
    for (const [key, sources, expires, tlp] of snapshot.pieces()) {
      dnsbl?.set(key, sources, tlp);
      lookup.setPiece(key, { sources, expires, tlp });
      if (due() && (await pause())) break;
    }
    // Listings come in key order: each key's rows are gathered, then set at once.
    let key: string | undefined;
    let group: ListingFacts[] = [];
    for (const { key: rowKey, ...row } of snapshot.listings()) {
      if (rowKey !== key) {
        if (key !== undefined) lookup.setListings(key, group);
        key = rowKey;
        group = [];
      }
      group.push(row);
      if (due() && (await pause())) break;
    }
    if (key !== undefined) lookup.setListings(key, group);
    for (const prefix of snapshot.refusedPrefixes()) {
      const parsed = parsePrefix(prefix);
      if (parsed.ok) lookup.addRefusal(parsed.prefix.key);
      if (due() && (await pause())) break;
    }
    return { models: { dnsbl, lookup }, positions: snapshot.positions };
  } finally {
    snapshot.close();
  }
}
