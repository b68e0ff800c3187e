import type { Entry } from './entry.js';

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
  /** Prefix sort keys (core/prefix.ts `key`), newline-joined. */
  readonly keys: string;
  /** Canonical prefix texts, newline-joined. */
  readonly prefixes: string;
  /** Per entry: firstSeen, lastSeen, expires, reports (0 for delist entries). */
  readonly numbers: Float64Array;
  /** Distinct categories; `categoryOf` indexes into it. */
  readonly categories: readonly string[];
  readonly categoryOf: Uint32Array;
  /** Delist reasons by entry position, where given. */
  readonly reasons: Readonly<Record<number, string>>;
  /** Position of each entry in its batch (for refusal records). */
  readonly indexes: Int32Array;
}

export const LIST = 0;
export const DELIST = 1;

/**
 * Packs entries in prefix-key order. A batch names each prefix at most once, so order does not
 * change what is stored, and writing in key order keeps SQLite's B-tree page accesses local: on
 * a store of a million listings, 100,000 sorted upserts ran 1.8× faster than in arrival order.
 */
export function packEntries(unsorted: readonly Entry[], unsortedIndexes: readonly number[]): PackedEntries {
  const order = keyOrder(unsorted);
  const entries = Array.from(order, (i) => unsorted[i]!);
  const indexes = Array.from(order, (i) => unsortedIndexes[i]!);
  const count = entries.length;
  const ops = new Uint8Array(count);
  const numbers = new Float64Array(count * 4);
  const categoryOf = new Uint32Array(count);
  const categories: string[] = [];
  const categoryIds = new Map<string, number>();
  const reasons: Record<number, string> = {};
  const keys: string[] = new Array<string>(count);
  const prefixes: string[] = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const e = entries[i]!;
    keys[i] = e.prefix.key;
    prefixes[i] = e.prefix.text;
    if (e.op === 'delist') {
      ops[i] = DELIST;
      if (e.reason !== null) reasons[i] = e.reason;
      continue;
    }
    let id = categoryIds.get(e.category);
    if (id === undefined) {
      id = categories.push(e.category) - 1;
      categoryIds.set(e.category, id);
    }
    categoryOf[i] = id;
    numbers[i * 4] = e.firstSeen;
    numbers[i * 4 + 1] = e.lastSeen;
    numbers[i * 4 + 2] = e.expires;
    numbers[i * 4 + 3] = e.reports;
  }
  return { count, ops, keys: keys.join('\n'), prefixes: prefixes.join('\n'), numbers, categories, categoryOf, reasons, indexes: Int32Array.from(indexes) };
}

/** The column strings split back into arrays, once, on the thread that applies them. */
export function unpackStrings(packed: PackedEntries): { keys: string[]; prefixes: string[] } {
  if (packed.count === 0) return { keys: [], prefixes: [] };
  return { keys: packed.keys.split('\n'), prefixes: packed.prefixes.split('\n') };
}

/** Buffers to hand to postMessage's transfer list. */
export function transferables(packed: PackedEntries): ArrayBuffer[] {
  return [packed.ops.buffer, packed.numbers.buffer, packed.categoryOf.buffer, packed.indexes.buffer] as ArrayBuffer[];
}

/** Positions of `entries` in prefix-key order; IPv4-only batches sort on numbers, not strings. */
function keyOrder(entries: readonly Entry[]): Uint32Array {
  const order = new Uint32Array(entries.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  if (entries.every((e) => e.prefix.family === 4)) {
    // start * 64 + length orders exactly as the key does, and stays below 2^53.
    const rank = new Float64Array(entries.length);
    for (let i = 0; i < rank.length; i++) rank[i] = (entries[i]!.prefix.start as number) * 64 + entries[i]!.prefix.length;
    return order.sort((a, b) => rank[a]! - rank[b]!);
  }
  return order.sort((a, b) => (entries[a]!.prefix.key < entries[b]!.prefix.key ? -1 : 1));
}
