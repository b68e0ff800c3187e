/**
 * Serialized lookup answers, reused while nothing they depend on has changed: `validity` names
 * the store's state and the allowlist, so an answer is never served stale (a new validity empties
 * the cache). Mail servers look up the same connecting addresses again and again; a hit costs a
 * map read instead of building and serializing the answer.
 *
 * Two generations instead of a least-recently-used Map: deleting from a Map's front leaves holes
 * that `keys().next()` walks over, and with every request a new address (the lookup benchmark's
 * distinct run) eviction made a lookup four times slower. Here nothing is ever deleted: when the
 * young generation is full it becomes the old one, and a hit in the old one is promoted.
 *
 * An answer is kept only for an address asked before, as TinyLFU's doorkeeper does: storing
 * every one-off answer cost more than computing it from the in-memory index. The doorkeeper is
 * a bit array indexed by a hash of the address (a false "seen" only admits an answer early), and
 * an address it has never seen skips the maps altogether.
 */
export class LookupCache {
  private young = new Map<string, string>();
  private old = new Map<string, string>();
  private validity = '';
  private readonly seen: Uint32Array;
  private seenCount = 0;

  constructor(private readonly capacity = 50_000) {
    // About 16 bits per remembered address keeps false "seen" answers under a few per cent.
    this.seen = new Uint32Array(Math.max(1, capacity >> 1));
  }

  get(ip: string, validity: string): string | undefined {
    if (validity !== this.validity) {
      this.reset(validity);
      return undefined;
    }
    if (!this.wasSeen(hash(ip))) return undefined;
    const hit = this.young.get(ip);
    if (hit !== undefined) return hit;
    const older = this.old.get(ip);
    if (older !== undefined) this.keep(ip, older);
    return older;
  }

  set(ip: string, validity: string, body: string): void {
    if (validity !== this.validity) this.reset(validity);
    const h = hash(ip);
    if (this.wasSeen(h)) this.keep(ip, body);
    else this.markSeen(h);
  }

  private keep(ip: string, body: string): void {
    if (this.young.size >= this.capacity / 2) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(ip, body);
  }

  private wasSeen(h: number): boolean {
    const bit = h % (this.seen.length * 32);
    return (this.seen[bit >>> 5]! & (1 << (bit & 31))) !== 0;
  }

  private markSeen(h: number): void {
    // Forget everything once as many addresses were marked as the cache holds answers, so the
    // bit array never fills up (and every address would look seen).
    if (++this.seenCount > this.capacity) {
      this.seen.fill(0);
      this.seenCount = 1;
    }
    const bit = h % (this.seen.length * 32);
    this.seen[bit >>> 5]! |= 1 << (bit & 31);
  }

  private reset(validity: string): void {
    this.validity = validity;
    this.young = new Map();
    this.old = new Map();
  }
}

/** FNV-1a over the UTF-16 code units, as an unsigned 32-bit number. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
