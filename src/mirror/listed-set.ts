import { parsePrefix, quickV4Prefix } from '../core/prefix.js';

/** Which address families a change touched: each family is a file of its own. */
export interface Touched {
  readonly v4: boolean;
  readonly v6: boolean;
}

/**
 * The listed set a mirror holds, in the order the node's export writes it (the store's key order:
 * start address, then length, IPv4 first). IPv4 pieces, nearly all of a list, are one sorted
 * Float64Array of `start * 64 + length` (8 bytes a piece: a million are 8 MB, where a Set of
 * strings takes several times that); the change stream's net changes are merged into it in one
 * pass, so a poll costs O(n) with no per-piece allocation. IPv6 pieces, few, are kept by key.
 */
export class ListedSet {
  private v4 = new Float64Array(0);
  private readonly v6 = new Map<string, string>();

  /** Pieces held, IPv4 and IPv6. */
  get size(): number {
    return this.v4.length + this.v6.size;
  }

  get size4(): number {
    return this.v4.length;
  }

  /** Replaces the whole set (a snapshot). */
  reset(prefixes: Iterable<string>): void {
    const loading = this.load();
    loading.add(prefixes);
    loading.done();
  }

  /**
   * Replaces the whole set from parts as they arrive (a snapshot read as it streams in): IPv4
   * pieces gathered as numbers (8 bytes each, not a string each), sorted once at `done()`.
   */
  load(): { add(prefixes: Iterable<string>): void; done(): void } {
    this.v6.clear();
    let gathered: number[] = [];
    return {
      add: (prefixes) => {
        for (const text of prefixes) {
          const n = v4Number(text);
          if (n !== undefined) gathered.push(n);
          else this.v6.set(v6Key(text), text);
        }
      },
      done: () => {
        const sorted = Float64Array.from(gathered).sort();
        gathered = [];
        // A snapshot holds each piece once; a repeat would be kept once all the same.
        let o = 0;
        for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[o++] = sorted[i]!;
        this.v4 = o === sorted.length ? sorted : sorted.slice(0, o);
      },
    };
  }

  /**
   * Applies a page of net changes: `removed` first, then `added` (PROTOCOL "Subscriber
   * endpoints"). Adding a piece held or removing one not held changes nothing, so a page applied
   * twice (the cursor file written before a crash lost it) leaves the same set.
   */
  apply(added: Iterable<string>, removed: Iterable<string>): Touched {
    const add4: number[] = [];
    const drop4: number[] = [];
    let v6 = false;
    for (const text of removed) {
      const n = v4Number(text);
      if (n !== undefined) drop4.push(n);
      else v6 = this.v6.delete(v6Key(text)) || v6;
    }
    for (const text of added) {
      const n = v4Number(text);
      if (n !== undefined) add4.push(n);
      else {
        const key = v6Key(text);
        if (this.v6.has(key)) continue;
        this.v6.set(key, text);
        v6 = true;
      }
    }
    const v4 = add4.length + drop4.length > 0 && this.merge4(add4, drop4);
    return { v4, v6 };
  }

  /** IPv4 pieces in export order, as canonical prefix text (`61.4.12.7/32`). */
  *prefixes4(): Generator<string> {
    for (const row of this.rows4()) yield row.prefix;
  }

  /**
   * IPv4 pieces in export order as the rows a blocklist format renders. An iterator of its own
   * rather than a generator over prefixes4(): the render already stacks two generators per row,
   * and a million rows through two more made the render a fifth slower (700 ms against 570 on a
   * loaded 2-core machine).
   */
  rows4(): Iterable<{ readonly prefix: string }> {
    const keys = this.v4;
    return {
      [Symbol.iterator]() {
        let i = 0;
        // Sorted pieces share their first two octets in long runs: that text is made once a run.
        let high = -1;
        let head = '';
        return {
          next(): IteratorResult<{ readonly prefix: string }> {
            if (i >= keys.length) return { done: true, value: undefined };
            const n = keys[i++]!;
            const length = n % 64;
            const start = (n - length) / 64;
            if (start >>> 16 !== high) {
              high = start >>> 16;
              head = `${high >>> 8}.${high & 255}.`;
            }
            return { done: false, value: { prefix: `${head}${(start >>> 8) & 255}.${start & 255}/${length}` } };
          },
        };
      },
    };
  }

  /** IPv6 pieces in export order. */
  *prefixes6(): Generator<string> {
    for (const key of [...this.v6.keys()].sort()) yield this.v6.get(key)!;
  }

  /** One merge of the sorted array with the sorted additions, leaving out the removals. */
  private merge4(add: number[], drop: number[]): boolean {
    const adds = Float64Array.from(add).sort();
    const drops = Float64Array.from(drop).sort();
    const old = this.v4;
    const out = new Float64Array(old.length + adds.length);
    let i = 0;
    let j = 0;
    let d = 0;
    let o = 0;
    let changed = false;
    const dropped = (n: number) => {
      while (d < drops.length && drops[d]! < n) d++;
      return d < drops.length && drops[d] === n;
    };
    while (i < old.length || j < adds.length) {
      const a = i < old.length ? old[i]! : Infinity;
      const b = j < adds.length ? adds[j]! : Infinity;
      const n = Math.min(a, b);
      if (a === n) i++;
      const readded = b === n;
      // Skip repeats within the additions, and an addition already held.
      while (j < adds.length && adds[j] === n) j++;
      // Removed, and not added back after (removals apply first).
      if (!readded && dropped(n)) {
        changed = true;
        continue;
      }
      if (a !== n) changed = true;
      out[o++] = n;
    }
    this.v4 = o === out.length ? out : out.slice(0, o);
    return changed;
  }
}

/** `start * 64 + length` of an IPv4 prefix (exact in a double: 38 bits), or undefined for IPv6. */
function v4Number(text: string): number | undefined {
  if (text.includes(':')) return undefined;
  const p = quickV4Prefix(text);
  if (!p) throw new Error(`"${text}" is not an IPv4 prefix in canonical form`);
  return (p.start as number) * 64 + p.length;
}

function v6Key(text: string): string {
  const parsed = parsePrefix(text);
  if (!parsed.ok) throw new Error(`"${text}" is not a prefix: ${parsed.reason}`);
  return parsed.prefix.key;
}
