import { randomBytes } from 'node:crypto';
import type { Store } from './open-store.js';

export function getMeta(store: Store, name: string): string | undefined {
  return store.prepare('SELECT value FROM meta WHERE name = ?').pluck().get(name) as string | undefined;
}

export function setMeta(store: Store, name: string, value: string): void {
  store.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value').run(name, value);
}

/**
 * A random id of this store, part of every change-stream cursor: a cursor from another store,
 * or from this one before it was rebuilt, is recognised and refused.
 */
export function storeEpoch(store: Store): string {
  const known = getMeta(store, 'epoch');
  if (known) return known;
  store.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING').run('epoch', randomBytes(6).toString('base64url'));
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
