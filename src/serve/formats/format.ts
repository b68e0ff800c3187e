/** A row of the served list. Aggregated output (aggregate=true) carries only the prefix. */
export interface BlocklistRow {
  readonly prefix: string;
  readonly firstSeen?: number;
  readonly lastSeen?: number;
  readonly reports?: number;
  readonly expires?: number;
  /** Sorted, space-separated. */
  readonly sources?: string;
}

export interface BlocklistMeta {
  readonly node: string;
  /** When the effective list last changed: the content depends on nothing else, so the ETag holds. */
  readonly asOf: number;
  /** Pieces in the list before aggregation. */
  readonly count: number;
  readonly sources: readonly string[];
  readonly aggregated: boolean;
  /** The node's lookup URL base, for formats that point at it. */
  readonly lookupUrl: string;
}

/** One output format of `GET /v1/blocklist` and `spamx export`. */
export interface BlocklistFormat {
  readonly name: string;
  readonly contentType: string;
  render(rows: Iterable<BlocklistRow>, meta: BlocklistMeta): Generator<string>;
}

/** `1.2.3.4/32` → `1.2.3.4`; other prefixes unchanged. */
export function hostOrPrefix(prefix: string): string {
  return prefix.endsWith('/32') || prefix.endsWith('/128') ? prefix.slice(0, prefix.lastIndexOf('/')) : prefix;
}

export const isV6 = (prefix: string) => prefix.includes(':');
