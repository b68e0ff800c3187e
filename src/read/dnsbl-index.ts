import { PrefixMap } from '../core/prefix-map.js';
import { reachesEveryone } from '../core/tlp.js';

/**
 * The effective list in memory, shaped for one question asked many thousand times a second:
 * which listed pieces cover this address, and whose are they? A PrefixMap from each piece to its
 * sources, so a query costs one Map probe per distinct prefix length present.
 *
 * Pieces can overlap (one centre lists a /24, another a /32 inside it), so a lookup unions the
 * sources of every covering piece.
 */
export class DnsblIndex {
  private readonly pieces = new PrefixMap<string>();
  /** One shared string per distinct source set: a million pieces hold a few dozen strings. */
  private readonly interned = new Map<string, string>();
  /** Reused by every query: the hot path allocates nothing for the common single match. */
  private readonly scratch: string[] = [];

  get size(): number {
    return this.pieces.size;
  }

  /**
   * Lists (or re-lists with new sources) the piece with this store key (core/prefix.ts
   * `prefixKey`: family digit, start address in fixed-width hex, length in two hex digits).
   * Only pieces whose label reaches everyone (core/tlp.ts reachesEveryone: clear, green) enter:
   * anyone may query a DNSBL, so a piece that became amber or more is taken out. The zone's SOA
   * serial stays the change-log position either way.
   */
  set(key: string, sources: string, tlp?: number): void {
    if (!reachesEveryone(tlp)) {
      this.pieces.delete(key);
      return;
    }
    let shared = this.interned.get(sources);
    if (shared === undefined) this.interned.set(sources, (shared = sources));
    this.pieces.set(key, shared);
  }

  delete(key: string): void {
    this.pieces.delete(key);
  }

  /** Sources (sorted, space-separated) of the pieces covering an IPv4 address, or undefined. */
  lookupV4(address: number): string | undefined {
    return this.sourcesOf(this.pieces.coveringV4(address, this.scratch));
  }

  /** The same for an IPv6 address given as its 32 hex nibbles, most significant first. */
  lookupV6(nibbles: string): string | undefined {
    return this.sourcesOf(this.pieces.coveringV6(nibbles, this.scratch));
  }

  private sourcesOf(found: number): string | undefined {
    const lists = this.scratch;
    const sources = found === 0 ? undefined : found === 1 ? lists[0] : unionOf(lists);
    lists.length = 0;
    return sources;
  }
}

/** Several pieces' source lists merged into one sorted, space-separated list. */
function unionOf(lists: readonly string[]): string {
  return [...new Set(lists.flatMap((s) => s.split(' ')))].sort().join(' ');
}
