import { createHash, randomBytes } from 'node:crypto';
import { SpamxError } from '../core/errors.js';
import type { Store } from './open-store.js';

export interface Subscriber {
  readonly id: number;
  readonly name: string;
  readonly createdAt: number;
  readonly revokedAt: number | null;
}

/** API keys are 256 random bits; only their SHA-256 is stored, so the store never holds one. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Creates a subscriber; the key is returned once and never again. */
export function addSubscriber(store: Store, name: string, now: number): { subscriber: Subscriber; key: string } {
  if (!/^[\w.@-]{1,100}$/.test(name)) throw new SpamxError('BAD_REQUEST', `subscriber name "${name}" must be 1-100 letters, digits or . _ @ -`);
  const key = `spx_${randomBytes(32).toString('base64url')}`;
  try {
    const id = store.prepare('INSERT INTO subscribers (name, key_hash, created_at) VALUES (?, ?, ?)').run(name, hashApiKey(key), now)
      .lastInsertRowid as number;
    return { subscriber: { id: Number(id), name, createdAt: now, revokedAt: null }, key };
  } catch (err) {
    if (String((err as Error).message).includes('UNIQUE')) throw new SpamxError('CONFLICT', `a subscriber named "${name}" exists`);
    throw err;
  }
}

export function listSubscribers(store: Store): Subscriber[] {
  return store.prepare('SELECT id, name, created_at AS createdAt, revoked_at AS revokedAt FROM subscribers ORDER BY id').all() as Subscriber[];
}

/** Revokes by name or numeric id; false when there is no such active subscriber. */
export function revokeSubscriber(store: Store, nameOrId: string, now: number): boolean {
  return (
    store
      .prepare('UPDATE subscribers SET revoked_at = ? WHERE (name = ? OR id = ?) AND revoked_at IS NULL')
      .run(now, nameOrId, /^\d+$/.test(nameOrId) ? Number(nameOrId) : -1).changes > 0
  );
}

/** The active subscriber holding this key, if any. */
export function subscriberByKey(store: Store, key: string): Subscriber | undefined {
  return store
    .prepare('SELECT id, name, created_at AS createdAt, revoked_at AS revokedAt FROM subscribers WHERE key_hash = ? AND revoked_at IS NULL')
    .get(hashApiKey(key)) as Subscriber | undefined;
}
