/** ASNs below this are indexed by a typed array (2 MB); the few above, by a Map. */
const INDEXED = 1 << 19;

/**
 * AS names as the ASN data gives them: the first name seen for each AS, kept as its UTF-8 bytes
 * in one pool and made a string only when asked for. Loading the asn package meets 412,000 rows
 * and 84,000 ASes: a Map<number, string> cost about 30 ms of the 200 ms load target (a lookup per
 * row, a string and an insertion per AS) where this costs a typed-array probe per row and a copy
 * of the name's bytes per AS, in about the same memory (5 MB: the 2 MB index and the bytes).
 */
export class AsNames {
  private readonly index = new Int32Array(INDEXED);
  private readonly large = new Map<number, number>();
  private pool = new Uint8Array(1 << 20);
  private used = 0;
  /** Per entry: where its bytes start in the pool (entry n's end is entry n+1's start). */
  private starts = new Uint32Array(1 << 14);
  /** Per entry: whether its quoted text had doubled quotes to undo. */
  private escaped = new Uint8Array(1 << 14);
  private count = 0;
  private readonly decoder = new TextDecoder();

  get size(): number {
    return this.count;
  }

  has(asn: number): boolean {
    return asn < INDEXED ? this.index[asn] !== 0 : this.large.has(asn);
  }

  /** Keeps bytes[from, to) as the name of `asn` unless it has one already. */
  add(asn: number, bytes: Uint8Array, from: number, to: number, escaped = false): void {
    if (this.has(asn)) return;
    const n = to - from;
    if (this.used + n > this.pool.length) this.pool = grown(this.pool, Math.max(this.pool.length * 2, this.used + n));
    if (this.count + 1 >= this.starts.length) {
      const size = Math.max(16, this.starts.length * 2);
      this.starts = grown(this.starts, size);
      this.escaped = grown(this.escaped, size);
    }
    const pool = this.pool;
    let at = this.used;
    for (let i = from; i < to; i++) pool[at++] = bytes[i]!;
    this.starts[this.count] = this.used;
    this.escaped[this.count] = escaped ? 1 : 0;
    this.used = at;
    this.count++;
    this.starts[this.count] = at;
    if (asn < INDEXED) this.index[asn] = this.count;
    else this.large.set(asn, this.count);
  }

  /** Gives back the room the arrays grew beyond what they hold (once everything is added). */
  trim(): void {
    this.pool = this.pool.slice(0, this.used);
    this.starts = this.starts.slice(0, this.count + 1);
    this.escaped = this.escaped.slice(0, this.count);
  }

  /** Adds a name given as text (tests, small files). */
  addText(asn: number, name: string): void {
    const bytes = new TextEncoder().encode(name);
    this.add(asn, bytes, 0, bytes.length);
  }

  get(asn: number): string | null {
    const entry = asn < INDEXED ? this.index[asn]! : (this.large.get(asn) ?? 0);
    if (entry === 0) return null;
    const text = this.decoder.decode(this.pool.subarray(this.starts[entry - 1], this.starts[entry]));
    return this.escaped[entry - 1] ? text.replaceAll('""', '"') : text;
  }
}

function grown<T extends Uint8Array | Uint32Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}
