import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull, or } from 'drizzle-orm';
import { SpamxError } from '../core/errors.js';
import type { OriginScope } from '../core/origin.js';
import { scopeFromJson, scopeToJson } from '../core/scope-spec.js';
import type { Store } from './open-store.js';
import { subscribers } from './schema.js';

/*
 * Subscribers' API keys (cold: a key is looked up once, then again only after the subscribers
 * changed, serve/subscriber-access.ts), on drizzle's query builder; `subscribersRevision` is
 * the per-request check, on prepared statements.
 */

export interface Subscriber {
  readonly id: number;
  readonly name: string;
  readonly createdAt: number;
  readonly revokedAt: number | null;
  /** Only listings inside this scope are served to the key; null for the whole list. */
  readonly scope: OriginScope | null;
  /** Where its daily scope report is mailed; null for none. */
  readonly contact: string | null;
}

const SUBSCRIBER = {
  id: subscribers.id,
  name: subscribers.name,
  createdAt: subscribers.createdAt,
  revokedAt: subscribers.revokedAt,
  scope: subscribers.scope,
  contact: subscribers.contact,
};

type SubscriberRow = Omit<Subscriber, 'scope'> & { scope: string | null };

function fromRow(row: SubscriberRow): Subscriber {
  return { ...row, scope: scopeFromJson(row.scope) };
}

export interface SubscriberOptions {
  readonly scope?: OriginScope | undefined;
  readonly contact?: string | undefined;
}

/** API keys are 256 random bits; only their SHA-256 is stored, so the store never holds one. */
function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Creates a subscriber; the key is returned once and never again. */
export function addSubscriber(store: Store, name: string, now: number, options: SubscriberOptions = {}): { subscriber: Subscriber; key: string } {
  if (!/^[\w.@-]{1,100}$/.test(name)) throw new SpamxError('BAD_REQUEST', `subscriber name "${name}" must be 1-100 letters, digits or . _ @ -`);
  const contact = options.contact ?? null;
  // The address only has to be one a relay accepts; the relay says the rest (RFC 5321 §4.5.3.1.3: 256 octets).
  if (contact !== null && !/^[^\s@<>,;"]{1,64}@[^\s@<>,;"]{1,190}\.[^\s@<>,;".]{1,63}$/.test(contact)) {
    throw new SpamxError('BAD_REQUEST', `contact "${contact}" is not an e-mail address like abuse@isp.example`);
  }
  const scopeJson = options.scope ? scopeToJson(options.scope) : null;
  const key = `spx_${randomBytes(32).toString('base64url')}`;
  try {
    const id = store.orm.insert(subscribers).values({ name, keyHash: hashApiKey(key), createdAt: now, scope: scopeJson, contact }).run().lastInsertRowid;
    changedHere(store);
    return { subscriber: { id: Number(id), name, createdAt: now, revokedAt: null, scope: scopeFromJson(scopeJson), contact }, key };
  } catch (err) {
    if (String((err as Error).message).includes('UNIQUE')) throw new SpamxError('CONFLICT', `a subscriber named "${name}" exists`);
    throw err;
  }
}

export function listSubscribers(store: Store): Subscriber[] {
  return store.orm.select(SUBSCRIBER).from(subscribers).orderBy(subscribers.id).all().map(fromRow);
}

/** Revokes by name or numeric id; false when there is no such active subscriber. */
export function revokeSubscriber(store: Store, nameOrId: string, now: number): boolean {
  const id = /^\d+$/.test(nameOrId) ? Number(nameOrId) : -1;
  const revoked =
    store.orm
      .update(subscribers)
      .set({ revokedAt: now })
      .where(and(or(eq(subscribers.name, nameOrId), eq(subscribers.id, id)), isNull(subscribers.revokedAt)))
      .run().changes > 0;
  changedHere(store);
  return revoked;
}

/** The active subscriber holding this key, if any. */
export function subscriberByKey(store: Store, key: string): Subscriber | undefined {
  const row = store.orm
    .select(SUBSCRIBER)
    .from(subscribers)
    .where(and(eq(subscribers.keyHash, hashApiKey(key)), isNull(subscribers.revokedAt)))
    .get();
  return row && fromRow(row);
}

/** Adds and revocations made on each connection, which its own `PRAGMA data_version` does not count. */
const localChanges = new WeakMap<object, number>();

function changedHere(store: Store): void {
  localChanges.set(store.db, (localChanges.get(store.db) ?? 0) + 1);
}

/**
 * A number that moves as soon as a subscriber is added or revoked, by this process or another
 * (`spamx subscriber revoke` beside `spamx serve`), so a cache of keys can be dropped on the
 * very next request. Each call steps `PRAGMA data_version`, which changes when another
 * connection commits (SQLite "PRAGMA data_version"); only then, or after a change on this
 * connection, the subscribers' own stamp is read: subscribers are never deleted or un-revoked,
 * so the largest id and the count of revoked rows move with every change.
 */
export function subscribersRevision(store: Store): () => number {
  // Prepared (lookup-bench): one step per subscriber request, about a microsecond.
  const dataVersion = store.db.prepare('PRAGMA data_version').pluck();
  const stamp = store.db.prepare("SELECT coalesce(max(id), 0) || ':' || count(revoked_at) FROM subscribers").pluck();
  let version = -1;
  let local = -1;
  let last = '';
  let revision = 0;
  return () => {
    const v = dataVersion.get() as number;
    const l = localChanges.get(store.db) ?? 0;
    if (v !== version || l !== local) {
      version = v;
      local = l;
      const now = stamp.get() as string;
      if (now !== last) {
        last = now;
        revision++;
      }
    }
    return revision;
  };
}
