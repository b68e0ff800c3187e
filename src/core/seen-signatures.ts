/**
 * The signatures recently accepted, to refuse a replay of one (issue 16: "refuses replays of the
 * same signature"). Keyed by the signature bytes: Ed25519 as node:crypto checks it (RFC 8032
 * §5.1.7, S < L) admits one encoding of a signature per message, so a replayed request cannot be
 * dressed up as a new one. An entry is kept until its signature's `created` time plus the
 * accepted age has passed, after which the signature is refused as expired anyway.
 *
 * Bounded: at most `capacity` entries, the oldest dropped first when full. Only signatures that
 * verified by a pinned key are remembered, so filling it takes a partner's own key; a dropped
 * entry could be replayed only after `capacity` other accepted requests within the accepted age.
 * Pure: the time is passed in (milliseconds, as everywhere in spamx).
 */
export class SeenSignatures {
  /** Signature (base64) → the time (ms) after which it no longer needs remembering. Insertion-ordered. */
  private readonly entries = new Map<string, number>();

  constructor(readonly capacity = 50_000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
  }

  /**
   * Remembers `signature` until `keepUntil` and answers true, or answers false when it was
   * already seen (a replay).
   */
  remember(signature: Uint8Array, keepUntil: number, now: number): boolean {
    this.prune(now);
    const key = Buffer.from(signature).toString('base64');
    const until = this.entries.get(key);
    if (until !== undefined && until > now) return false;
    this.entries.delete(key);
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, keepUntil);
    return true;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Drops expired entries from the front; later expired ones go when they reach it. */
  private prune(now: number): void {
    for (const [key, until] of this.entries) {
      if (until > now) return;
      this.entries.delete(key);
    }
  }
}
