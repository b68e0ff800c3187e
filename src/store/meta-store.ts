import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Store } from './open-store.js';
import { meta } from './schema.js';

/* Small named values (cold: read and written a few times per projection or per request). */

export function getMeta(store: Store, name: string): string | undefined {
  return store.orm.select({ value: meta.value }).from(meta).where(eq(meta.name, name)).get()?.value;
}

export function setMeta(store: Store, name: string, value: string): void {
  store.orm.insert(meta).values({ name, value }).onConflictDoUpdate({ target: meta.name, set: { value } }).run();
}

/**
 * A random id of this store, part of every change-stream cursor: a cursor from another store,
 * or from this one before it was rebuilt, is recognised and refused.
 */
export function storeEpoch(store: Store): string {
  const known = getMeta(store, 'epoch');
  if (known) return known;
  store.orm.insert(meta).values({ name: 'epoch', value: randomBytes(6).toString('base64url') }).onConflictDoNothing({ target: meta.name }).run();
  return getMeta(store, 'epoch')!;
}

/** Grows whenever the effective list or any of its rows changes: the blocklist ETag's base. */
export function effectiveVersion(store: Store): number {
  return Number(getMeta(store, 'effective_version') ?? 0);
}

export function bumpEffectiveVersion(store: Store, now: number): void {
  setMeta(store, 'effective_version', String(effectiveVersion(store) + 1));
  setMeta(store, 'effective_updated_at', String(now));
}
