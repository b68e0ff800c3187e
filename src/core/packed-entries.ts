import type { Entry } from './entry.js';
import { prefixKey } from './prefix.js';

/**
 * Accepted entries in columns: a few strings and typed arrays instead of 100,000 objects. This
 * is what crosses from the decoder thread to the thread that writes the store (cloning one long
 * string or transferring one buffer costs next to nothing; cloning an object graph does not),
 * and what the store applies.
 */
export interface PackedEntries {
  readonly count: number;
  /** 0 = list, 1 = delist. */
  readonly ops: Uint8Array;
  /** Prefix sort keys (core/prefix.ts `key`), newline-joined, as ASCII bytes. */
  readonly keys: Uint8Array;
  /** Canonical prefix texts, newline-joined, as ASCII bytes. */
  readonly prefixes: Uint8Array;
  /** Per entry: firstSeen, lastSeen, expires, reports (0 for delist entries). */
  readonly numbers: Float64Array;
  /** Distinct categories; `categoryOf` indexes into it. */
  readonly categories: readonly string[];
  readonly categoryOf: Uint32Array;
  /** Delist reasons by entry position, where given. */
  readonly reasons: Readonly<Record<number, string>>;
  /** Position of each entry in its batch (for refusal records). */
  readonly indexes: Int32Array;
  /** Each family and prefix length among the entries, as the store's `prefix_lengths` rows (key's first digit and last two). */
  readonly familyLengths: readonly string[];
}

export const LIST = 0;
export const DELIST = 1;

/**
 * Builds PackedEntries from entries given one at a time (in any order), keeping only their
 * columns: the pull path feeds it a batch's entries a chunk at a time, so 100,000 entry objects
 * never live at once. `pack` writes them in prefix-key order. A batch names each prefix at most
 * once, so order does not change what is stored, and writing in key order keeps SQLite's B-tree
 * page accesses local: on a store of a million listings, 100,000 sorted upserts ran 1.8× faster
 * than in arrival order.
 */
export class EntryColumns {
  private count = 0;
  private ops = new Uint8Array(1024);
  private numbers = new Float64Array(1024 * 4);
  private categoryOf = new Uint32Array(1024);
  private indexes = new Int32Array(1024);
  /** IPv4 start * 64 + length orders exactly as the key does, and stays below 2^53. */
  private rank = new Float64Array(1024);
  private allV4 = true;
  /** Which (family, length) pairs occur: index family * 129 + length. */
  private readonly lengthSeen = new Uint8Array(7 * 129);
  /** Key and text of each IPv6 entry, at its `v6Slot`; IPv4 ones are written from `rank` when packed. */
  private readonly keys: string[] = [];
  private readonly prefixes: string[] = [];
  private v6Slot = new Int32Array(1024);
  private readonly reasons = new Map<number, string>();
  private readonly categories: string[] = [];
  private readonly categoryIds = new Map<string, number>();

  /** Entries pushed so far. */
  get size(): number {
    return this.count;
  }

  push(e: Entry, index: number): void {
    const i = this.count++;
    if (i === this.ops.length) this.grow();
    this.indexes[i] = index;
    this.lengthSeen[e.prefix.family * 129 + e.prefix.length] = 1;
    if (e.prefix.family === 4) {
      this.rank[i] = (e.prefix.start as number) * 64 + e.prefix.length;
      this.v6Slot[i] = -1;
    } else {
      this.allV4 = false;
      this.v6Slot[i] = this.keys.push(e.prefix.key) - 1;
      this.prefixes.push(e.prefix.text);
    }
    if (e.op === 'delist') {
      this.ops[i] = DELIST;
      if (e.reason !== null) this.reasons.set(i, e.reason);
      return;
    }
    let id = this.categoryIds.get(e.category);
    if (id === undefined) {
      id = this.categories.push(e.category) - 1;
      this.categoryIds.set(e.category, id);
    }
    this.ops[i] = LIST;
    this.categoryOf[i] = id;
    this.numbers[i * 4] = e.firstSeen;
    this.numbers[i * 4 + 1] = e.lastSeen;
    this.numbers[i * 4 + 2] = e.expires;
    this.numbers[i * 4 + 3] = e.reports;
  }

  /** The columns in prefix-key order, each list entry's `expires` capped at `expiryCap`. */
  pack(expiryCap = Infinity): PackedEntries {
    const count = this.count;
    const order = this.keyOrder();
    const ops = new Uint8Array(count);
    const numbers = new Float64Array(count * 4);
    const categoryOf = new Uint32Array(count);
    const indexes = new Int32Array(count);
    const keys = new TextColumn(count * (V4_KEY_BYTES + 1));
    const prefixes = new TextColumn(count * (V4_TEXT_MAX_BYTES + 1));
    const reasons: Record<number, string> = {};
    for (let i = 0; i < count; i++) {
      const from = order[i]!;
      const slot = this.v6Slot[from]!;
      if (slot < 0) {
        const rank = this.rank[from]!;
        keys.v4Key(rank);
        prefixes.v4Text(rank);
      } else {
        keys.text(this.keys[slot]!);
        prefixes.text(this.prefixes[slot]!);
      }
      indexes[i] = this.indexes[from]!;
      ops[i] = this.ops[from]!;
      if (ops[i] === DELIST) {
        const reason = this.reasons.get(from);
        if (reason !== undefined) reasons[i] = reason;
        continue;
      }
      categoryOf[i] = this.categoryOf[from]!;
      numbers[i * 4] = this.numbers[from * 4]!;
      numbers[i * 4 + 1] = this.numbers[from * 4 + 1]!;
      numbers[i * 4 + 2] = Math.min(this.numbers[from * 4 + 2]!, expiryCap);
      numbers[i * 4 + 3] = this.numbers[from * 4 + 3]!;
    }
    const categories = [...this.categories];
    const familyLengths: string[] = [];
    for (let i = 0; i < this.lengthSeen.length; i++) {
      if (this.lengthSeen[i]) familyLengths.push(`${Math.floor(i / 129)}${(i % 129).toString(16).padStart(2, '0')}`);
    }
    return { count, ops, keys: keys.done(), prefixes: prefixes.done(), numbers, categories, categoryOf, reasons, indexes, familyLengths };
  }

  /** Positions in prefix-key order; IPv4-only batches sort on numbers, not strings. */
  private keyOrder(): Uint32Array {
    const order = new Uint32Array(this.count);
    if (this.allV4) {
      let sorted = true;
      for (let i = 0; i < order.length; i++) {
        order[i] = i;
        if (sorted && i > 0 && this.rank[i - 1]! > this.rank[i]!) sorted = false;
      }
      if (sorted) return order; // a batch already in key order needs no sort
      if (this.count <= 2 ** 17) return this.v4Order();
      const { rank } = this;
      return order.sort((a, b) => rank[a]! - rank[b]!);
    }
    const keys = Array.from({ length: this.count }, (_, i) => {
      const slot = this.v6Slot[i]!;
      if (slot >= 0) return this.keys[slot]!;
      const rank = this.rank[i]!;
      return prefixKey(4, Math.floor(rank / 64), rank % 64);
    });
    for (let i = 0; i < order.length; i++) order[i] = i;
    return order.sort((a, b) => (keys[a]! < keys[b]! ? -1 : 1));
  }

  /**
   * IPv4 key order without a comparator: start * 2^17 + position (exact below 2^49) sorts as
   * numbers natively, 2–3× faster than a comparator on 100,000 entries; the rare runs of one
   * start address with several lengths are then put in length order.
   */
  private v4Order(): Uint32Array {
    const n = this.count;
    const composite = new Float64Array(n);
    for (let i = 0; i < n; i++) composite[i] = Math.floor(this.rank[i]! / 64) * 2 ** 17 + i;
    composite.sort();
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = composite[i]! % 2 ** 17;
    for (let i = 1; i < n; i++) {
      // Insertion sort by rank inside each run of equal start (ranks differ only by length there).
      for (let j = i; j > 0 && this.rank[order[j - 1]!]! > this.rank[order[j]!]!; j--) {
        const t = order[j]!;
        order[j] = order[j - 1]!;
        order[j - 1] = t;
      }
    }
    return order;
  }

  private grow(): void {
    const size = this.ops.length * 2;
    const grown = <T extends Uint8Array | Uint32Array | Int32Array | Float64Array>(a: T, n: number): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.ops = grown(this.ops, size);
    this.numbers = grown(this.numbers, size * 4);
    this.categoryOf = grown(this.categoryOf, size);
    this.indexes = grown(this.indexes, size);
    this.rank = grown(this.rank, size);
    this.v6Slot = grown(this.v6Slot, size);
  }
}

/** Packs a list of entries (EntryColumns, all at once); `indexes` are their batch positions. */
export function packEntries(entries: readonly Entry[], indexes: readonly number[]): PackedEntries {
  const columns = new EntryColumns();
  for (let i = 0; i < entries.length; i++) columns.push(entries[i]!, indexes[i]!);
  return columns.pack();
}

/** `4` + 8 hex digits of the start + 2 of the length (core/prefix.ts `prefixKey`). */
const V4_KEY_BYTES = 11;
/** `255.255.255.255/32`. */
const V4_TEXT_MAX_BYTES = 18;
const NEWLINE = 0x0a;
const HEX_DIGITS = new TextEncoder().encode('0123456789abcdef');
/** Each byte value as decimal ASCII digits, and how many. */
const DECIMAL = Array.from({ length: 256 }, (_, n) => new TextEncoder().encode(String(n)));

/**
 * A newline-joined column of ASCII values written straight into bytes with an ArrayBuffer of
 * their own, so that they can be transferred between threads and freed at once
 * (core/free-buffers.ts) instead of waiting, as a batch-sized string would, in V8's
 * large-object space for a full collection. An IPv4 entry's key and text are written from its
 * start and length, digit by digit: making the 200,000 strings of a 100,000-entry batch only to
 * join and encode them was a quarter of the reader thread's time on a batch.
 */
class TextColumn {
  private bytes: Uint8Array;
  private at = 0;

  constructor(capacity: number) {
    this.bytes = new Uint8Array(Math.max(capacity, 16));
  }

  /** An IPv4 entry's key, from its rank (start * 64 + length). */
  v4Key(rank: number): void {
    const start = Math.floor(rank / 64);
    const bytes = this.room(V4_KEY_BYTES);
    let at = this.at;
    bytes[at++] = 0x34; // '4'
    for (let shift = 28; shift >= 0; shift -= 4) bytes[at++] = HEX_DIGITS[(start >>> shift) & 15]!;
    const length = rank % 64;
    bytes[at++] = HEX_DIGITS[length >> 4]!;
    bytes[at++] = HEX_DIGITS[length & 15]!;
    bytes[at++] = NEWLINE;
    this.at = at;
  }

  /** An IPv4 entry's canonical text (`a.b.c.d/len`), from its rank. */
  v4Text(rank: number): void {
    const start = Math.floor(rank / 64);
    const bytes = this.room(V4_TEXT_MAX_BYTES);
    let at = this.at;
    for (let shift = 24; shift >= 0; shift -= 8) {
      const digits = DECIMAL[(start >>> shift) & 255]!;
      for (let k = 0; k < digits.length; k++) bytes[at++] = digits[k]!;
      bytes[at++] = shift > 0 ? 0x2e : 0x2f; // '.' or '/'
    }
    const digits = DECIMAL[rank % 64]!;
    for (let k = 0; k < digits.length; k++) bytes[at++] = digits[k]!;
    bytes[at++] = NEWLINE;
    this.at = at;
  }

  /** Any other value, as ASCII. */
  text(value: string): void {
    const bytes = this.room(value.length);
    for (let k = 0; k < value.length; k++) bytes[this.at + k] = value.charCodeAt(k);
    bytes[this.at + value.length] = NEWLINE;
    this.at += value.length + 1;
  }

  /** The column's bytes, without the last value's newline; the column is done with. */
  done(): Uint8Array {
    return this.bytes.subarray(0, Math.max(this.at - 1, 0));
  }

  /** The bytes, with room for a value of at most `length` bytes and its newline. */
  private room(length: number): Uint8Array {
    if (this.at + length + 1 > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.at + length + 1));
      grown.set(this.bytes.subarray(0, this.at));
      this.bytes = grown;
    }
    return this.bytes;
  }
}

/**
 * Reads a newline-joined column (`keys`, `prefixes`) one value at a time. Splitting it whole
 * would make 100,000 strings that outlive many young-generation collections and are promoted
 * to the old generation, to wait there for a full collection; read one at a time, each dies young.
 */
export class ColumnReader {
  private at = 0;
  private readonly bytes: Buffer;

  constructor(column: Uint8Array) {
    this.bytes = Buffer.from(column.buffer, column.byteOffset, column.byteLength);
  }

  next(): string {
    const end = this.bytes.indexOf(0x0a, this.at);
    const stop = end < 0 ? this.bytes.length : end;
    const value = this.bytes.toString('latin1', this.at, stop);
    this.at = stop + 1;
    return value;
  }
}

/** Buffers to hand to postMessage's transfer list. */
export function transferables(packed: PackedEntries): ArrayBuffer[] {
  return [packed.ops.buffer, packed.numbers.buffer, packed.categoryOf.buffer, packed.indexes.buffer, packed.keys.buffer, packed.prefixes.buffer] as ArrayBuffer[];
}
