/**
 * Serialized lookup answers, reused while nothing they depend on has changed: `validity` names
 * the effective list's version, the newest refusal and the allowlist, so an answer is never
 * served stale. Mail servers look up the same connecting addresses again and again; a hit costs
 * a map read instead of four SQLite queries and a JSON serialization.
 */
export class LookupCache {
  private readonly entries = new Map<string, { validity: string; body: string }>();

  constructor(private readonly capacity = 50_000) {}

  get(ip: string, validity: string): string | undefined {
    const hit = this.entries.get(ip);
    if (!hit) return undefined;
    if (hit.validity !== validity) {
      this.entries.delete(ip);
      return undefined;
    }
    // Re-insert so the Map's order is least-recently-used first.
    this.entries.delete(ip);
    this.entries.set(ip, hit);
    return hit.body;
  }

  set(ip: string, validity: string, body: string): void {
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(ip, { validity, body });
  }
}
