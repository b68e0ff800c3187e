/** A row of the served list. Aggregated output (aggregate=true) carries only the prefix. */
export interface BlocklistRow {
  readonly prefix: string;
  readonly firstSeen?: number;
  readonly lastSeen?: number;
  readonly reports?: number;
  readonly expires?: number;
  /** Sorted, space-separated. */
  readonly sources?: string;
  /** The piece's origin (PROTOCOL "Additions: origins"), for formats with `withOrigin`. */
  readonly country?: string | null;
  readonly asn?: number | null;
  /** The batch that last listed the piece, and that entry's category (`abuse-csv`). */
  readonly batchUrl?: string;
  readonly category?: string;
  /** The piece's label (core/tlp.ts name), in the operator's exports only, when not green. */
  readonly tlp?: string;
}

export interface BlocklistMeta {
  readonly node: string;
  /** When the effective list last changed: the content depends on nothing else, so the ETag holds. */
  readonly asOf: number;
  /** Pieces in the list before aggregation. */
  readonly count: number;
  readonly sources: readonly string[];
  readonly aggregated: boolean;
  /** The base of the node's public lookup page (`/lookup/`), for formats that point at it. */
  readonly lookupUrl: string;
  /** The `family` filter asked for, for formats that hold one address family only. */
  readonly family?: 4 | 6 | undefined;
  /** The node's DNSBL answer TTL (seconds), for DNSBL data formats. */
  readonly dnsblTtl?: number | undefined;
}

/** One output format of `GET /v1/blocklist` and `spamx export`. */
export interface BlocklistFormat {
  readonly name: string;
  readonly contentType: string;
  render(rows: Iterable<BlocklistRow>, meta: BlocklistMeta): Generator<string>;
  /** The format writes only `prefix`, so the export reads nothing else of each piece. */
  readonly prefixOnly?: boolean;
  /** The format needs the minimal cover whatever `aggregate` says (nft interval sets refuse overlaps). */
  readonly alwaysAggregate?: boolean;
  /** Rows carry `country` and `asn`: each listed range is written as its pieces, one per origin. */
  readonly withOrigin?: boolean;
  /** Rows carry the batch that listed them (`batchUrl`, `category`). */
  readonly withBatch?: boolean;
}

/** `1.2.3.4/32` → `1.2.3.4`, `2400:cb00::1/128` → `2400:cb00::1`; other prefixes (an IPv6 /32 too) unchanged. */
export function hostOrPrefix(prefix: string): string {
  const host = prefix.endsWith('/128') || (prefix.endsWith('/32') && !isV6(prefix));
  return host ? prefix.slice(0, prefix.lastIndexOf('/')) : prefix;
}

export const isV6 = (prefix: string) => prefix.includes(':');
