import { createHash, randomBytes } from 'node:crypto';

/** One logged-in operator's console session, held in memory only. */
export interface ConsoleSession {
  /** The synchronizer token every state-changing form of this session carries (csrf.ts). */
  readonly csrf: string;
  readonly createdAt: number;
  lastSeenAt: number;
}

/** Sessions held at once at most; past it the one unused the longest is ended. */
const MAX_SESSIONS = 1000;

/**
 * The console's sessions: a 256-bit random id in the cookie, nothing on disk, so a restart logs
 * everyone out. Held under the SHA-256 of the id, so a Map probe's timing tells nothing of the ids
 * held. A session unused for `idleMs` ends at its next use (and is swept when a new one starts).
 */
export class ConsoleSessions {
  private readonly byHash = new Map<string, ConsoleSession>();

  constructor(private readonly idleMs: number) {}

  /** A new session and the id for its cookie. */
  start(now: number): { id: string; session: ConsoleSession } {
    this.sweep(now);
    if (this.byHash.size >= MAX_SESSIONS) this.byHash.delete(this.byHash.keys().next().value!);
    const id = randomBytes(32).toString('base64url');
    const session: ConsoleSession = { csrf: randomBytes(32).toString('base64url'), createdAt: now, lastSeenAt: now };
    this.byHash.set(hashOf(id), session);
    return { id, session };
  }

  /** The live session of a cookie's id, its idle time restarted; undefined for an unknown or idle one. */
  get(id: string | undefined, now: number): ConsoleSession | undefined {
    if (!id || id.length > 100) return undefined;
    const key = hashOf(id);
    const session = this.byHash.get(key);
    if (!session) return undefined;
    if (now - session.lastSeenAt > this.idleMs) {
      this.byHash.delete(key);
      return undefined;
    }
    session.lastSeenAt = now;
    // Re-inserted: the Map's order stays least recently used first, for the cap above.
    this.byHash.delete(key);
    this.byHash.set(key, session);
    return session;
  }

  end(id: string | undefined): void {
    if (id) this.byHash.delete(hashOf(id));
  }

  get size(): number {
    return this.byHash.size;
  }

  private sweep(now: number): void {
    for (const [key, session] of this.byHash) {
      if (now - session.lastSeenAt <= this.idleMs) break;
      this.byHash.delete(key);
    }
  }
}

function hashOf(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}
