import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull, or } from 'drizzle-orm';
import { SpamxError } from '../core/errors.js';
import type { Store } from './open-store.js';
import { subscribers } from './schema.js';

/*
 * Subscribers' API keys (cold: a key is looked up once per five seconds of its requests,
 * serve/subscriber-access.ts), on drizzle's query builder.
 */

export interface Subscriber {
  readonly id: number;
  readonly name: string;
  readonly createdAt: number;
  readonly revokedAt: number | null;
}

const SUBSCRIBER = { id: subscribers.id, name: subscribers.name, createdAt: subscribers.createdAt, revokedAt: subscribers.revokedAt };

/** API keys are 256 random bits; only their SHA-256 is stored, so the store never holds one. */
function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Creates a subscriber; the key is returned once and never again. */
export function addSubscriber(store: Store, name: string, now: number): { subscriber: Subscriber; key: string } {
  if (!/^[\w.@-]{1,100}$/.test(name)) throw new SpamxError('BAD_REQUEST', `subscriber name "${name}" must be 1-100 letters, digits or . _ @ -`);
  const key = `spx_${randomBytes(32).toString('base64url')}`;
  try {
    const id = store.orm.insert(subscribers).values({ name, keyHash: hashApiKey(key), createdAt: now }).run().lastInsertRowid;
    return { subscriber: { id: Number(id), name, createdAt: now, revokedAt: null }, key };
  } catch (err) {
    if (String((err as Error).message).includes('UNIQUE')) throw new SpamxError('CONFLICT', `a subscriber named "${name}" exists`);
    throw err;
  }
}

export function listSubscribers(store: Store): Subscriber[] {
  return store.orm.select(SUBSCRIBER).from(subscribers).orderBy(subscribers.id).all();
}

/** Revokes by name or numeric id; false when there is no such active subscriber. */
export function revokeSubscriber(store: Store, nameOrId: string, now: number): boolean {
  const id = /^\d+$/.test(nameOrId) ? Number(nameOrId) : -1;
  return (
    store.orm
      .update(subscribers)
      .set({ revokedAt: now })
      .where(and(or(eq(subscribers.name, nameOrId), eq(subscribers.id, id)), isNull(subscribers.revokedAt)))
      .run().changes > 0
  );
}

/** The active subscriber holding this key, if any. */
export function subscriberByKey(store: Store, key: string): Subscriber | undefined {
  return store.orm
    .select(SUBSCRIBER)
    .from(subscribers)
    .where(and(eq(subscribers.keyHash, hashApiKey(key)), isNull(subscribers.revokedAt)))
    .get();
}
