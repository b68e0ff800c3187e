import { coveringPrefix, type Prefix } from './prefix.js';
import { PrefixMap } from './prefix-map.js';

/** One source's latest word on one prefix: what `listings` holds per (prefix, publisher). */
export interface ListingFacts {
  readonly publisher: string;
  readonly op: 'list' | 'delist';
  readonly firstSeen: number | null;
  readonly lastSeen: number | null;
  readonly reports: number | null;
  readonly expires: number | null;
  readonly category: string | null;
  readonly reason: string | null;
  readonly seq: number;
  /** The label (core/tlp.ts rank) of the batch that said it; absent: green. */
  readonly tlp?: number;
}

/** A piece of the served (effective) list. */
export interface PieceFacts {
  readonly sources: string;
  readonly expires: number;
  /** The most restrictive label (core/tlp.ts rank) of its active sources; absent: green. */
  readonly tlp?: number;
}

/** What the index knows about the prefixes containing one address, shortest prefix first. */
export interface AddressFacts {
  readonly pieces: readonly (PieceFacts & { readonly prefix: string })[];
  readonly listings: readonly { readonly prefix: string; readonly sources: readonly ListingFacts[] }[];
  /** Prefixes containing the address that have refusals recorded (their details stay in SQLite). */
  readonly refused: readonly Prefix[];
}

const NUMS = 5; // firstSeen, lastSeen, reports, expires, seq
const INTS = 3; // next slot, publisher string id with the label rank in bits 28–30, category string id (negated for a delist)
/** Publisher ids below this; the label rank (core/tlp.ts, 0–4) sits above them in the same int. */
const ID_BITS = 28;
const ID_MASK = (1 << ID_BITS) - 1;

/**
 * Everything a lookup needs to say about an address, in memory, so `GET /v1/lookup` answers
 * without a SQLite query: every stored listing (each source's latest op), the effective list's
 * pieces, and which prefixes have refusals on record. Listings are kept in typed arrays, one slot
 * per (prefix, source) chained per prefix, with publishers and categories interned: about 60
 * bytes a listing and nothing for the garbage collector to trace, which matters next to a DNS
 * server. Reasons (delistings only) live in a side map.
 */
export class LookupIndex {
  private readonly heads = new PrefixMap<number>();
  private readonly pieces = new PrefixMap<PieceFacts>();
  private readonly refusals = new PrefixMap<true>();
  private nums = new Float64Array(1024 * NUMS);
  private ints = new Int32Array(1024 * INTS);
  private readonly reasons = new Map<number, string>();
  private readonly free: number[] = [];
  private used = 0;
  private readonly strings: string[] = [''];
  private readonly stringIds = new Map<string, number>();

  /** Listings held (one per prefix and source). */
  get size(): number {
    return this.used - this.free.length;
  }

  /** Replaces what the index holds for one prefix with its current rows (none: forget it). */
  setListings(key: string, rows: readonly ListingFacts[]): void {
    let slot = this.heads.get(key);
    while (slot !== undefined && slot >= 0) {
      const next = this.ints[slot * INTS]!;
      this.reasons.delete(slot);
      this.free.push(slot);
      slot = next;
    }
    if (rows.length === 0) {
      this.heads.delete(key);
      return;
    }
    let head = -1;
    for (let i = rows.length - 1; i >= 0; i--) head = this.write(rows[i]!, head);
    this.heads.set(key, head);
  }

  setPiece(key: string, piece: PieceFacts): void {
    this.pieces.set(key, piece.tlp === undefined || piece.tlp === 1 ? { sources: this.intern(piece.sources), expires: piece.expires } : { sources: this.intern(piece.sources), expires: piece.expires, tlp: piece.tlp });
  }

  deletePiece(key: string): void {
    this.pieces.delete(key);
  }

  /** Notes that a refusal names this prefix. */
  addRefusal(key: string): void {
    this.refusals.set(key, true);
  }

  /** What the index holds about the prefixes containing this address (a /32 or /128). */
  facts(address: Prefix): AddressFacts {
    const pieces: PieceFacts[] = [];
    const pieceLengths: number[] = [];
    const heads: number[] = [];
    const headLengths: number[] = [];
    const refusedLengths: number[] = [];
    if (address.family === 4) {
      const v4 = address.start as number;
      this.pieces.coveringV4(v4, pieces, pieceLengths);
      this.heads.coveringV4(v4, heads, headLengths);
      this.refusals.coveringV4(v4, [], refusedLengths);
    } else {
      const nibbles = (address.start as bigint).toString(16).padStart(32, '0');
      this.pieces.coveringV6(nibbles, pieces, pieceLengths);
      this.heads.coveringV6(nibbles, heads, headLengths);
      this.refusals.coveringV6(nibbles, [], refusedLengths);
    }
    // Pieces and listings are mostly the same prefixes: make each length's prefix once.
    const covering: Prefix[] = [];
    return {
      pieces: pieces.map((p, i) => ({ prefix: (covering[pieceLengths[i]!] ??= coveringPrefix(address, pieceLengths[i]!)).text, ...p })),
      listings: heads.map((head, i) => ({ prefix: (covering[headLengths[i]!] ??= coveringPrefix(address, headLengths[i]!)).text, sources: this.read(head) })),
      refused: refusedLengths.map((length) => (covering[length] ??= coveringPrefix(address, length))),
    };
  }

  private read(head: number): ListingFacts[] {
    const out: ListingFacts[] = [];
    for (let slot = head; slot >= 0; slot = this.ints[slot * INTS]!) {
      const n = slot * NUMS;
      const i = slot * INTS;
      const category = this.ints[i + 2]!;
      out.push({
        publisher: this.strings[this.ints[i + 1]! & ID_MASK]!,
        op: category < 0 ? 'delist' : 'list',
        firstSeen: nullable(this.nums[n]!),
        lastSeen: nullable(this.nums[n + 1]!),
        reports: nullable(this.nums[n + 2]!),
        expires: nullable(this.nums[n + 3]!),
        category: this.strings[Math.abs(category) - 1] || null,
        reason: this.reasons.get(slot) ?? null,
        seq: this.nums[n + 4]!,
        // Green (the usual label) is left unsaid, as the pieces leave it.
        ...(this.ints[i + 1]! >>> ID_BITS === 1 ? {} : { tlp: this.ints[i + 1]! >>> ID_BITS }),
      });
    }
    return out;
  }

  private write(row: ListingFacts, next: number): number {
    const slot = this.free.pop() ?? this.grow();
    const n = slot * NUMS;
    const i = slot * INTS;
    this.nums[n] = row.firstSeen ?? NaN;
    this.nums[n + 1] = row.lastSeen ?? NaN;
    this.nums[n + 2] = row.reports ?? NaN;
    this.nums[n + 3] = row.expires ?? NaN;
    this.nums[n + 4] = row.seq;
    this.ints[i] = next;
    // The label rides in the publisher's int: no fourth int per listing (4 MB a million).
    this.ints[i + 1] = this.stringId(row.publisher) | ((row.tlp ?? 1) << ID_BITS);
    // The string id + 1, never 0, so the sign can carry the op; id 0 (the empty string) is none.
    const category = (row.category === null ? 0 : this.stringId(row.category)) + 1;
    this.ints[i + 2] = row.op === 'delist' ? -category : category;
    if (row.reason !== null) this.reasons.set(slot, row.reason);
    return slot;
  }

  private grow(): number {
    if (this.used * NUMS === this.nums.length) {
      const nums = new Float64Array(this.nums.length * 2);
      nums.set(this.nums);
      this.nums = nums;
      const ints = new Int32Array(this.ints.length * 2);
      ints.set(this.ints);
      this.ints = ints;
    }
    return this.used++;
  }

  private stringId(text: string): number {
    let id = this.stringIds.get(text);
    if (id === undefined) {
      id = this.strings.push(text) - 1;
      this.stringIds.set(text, id);
    }
    return id;
  }

  private intern(text: string): string {
    return this.strings[this.stringId(text)]!;
  }
}

function nullable(n: number): number | null {
  return Number.isNaN(n) ? null : n;
}
