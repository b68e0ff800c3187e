import { createPublicKey } from 'node:crypto';
import type { KeyHistory, KeyValidity } from '../core/key-history.js';
import type { PinnedKey, PinnedKeySet, PublicJwk } from './pinned-keys.js';

/**
 * The keys a publisher's batches are verified with: every key its verified key statements name,
 * each with the seq range it may sign, and the pinned keys the statements do not name, which
 * sign any seq (a feed that never rotated). Statements are only held once verified against
 * the pins, so the union widens nothing an attacker could choose.
 */
export function keySetOf(history: KeyHistory, pinned: PinnedKeySet): PinnedKeySet {
  const keys = new Map<string, PinnedKey>();
  for (const kid of orderedKids(history)) {
    const { jwk, fromSeq, throughSeq, revokedAfter } = history.keys.get(kid)!;
    keys.set(kid, toPinnedKey(kid, jwk, { fromSeq, throughSeq, revokedAfter }));
  }
  for (const [kid, key] of pinned) if (!keys.has(kid)) keys.set(kid, key);
  return keys;
}

/** The history's keys, those in force first (the signing key first), then the newest retired. */
export function orderedKids(history: KeyHistory): string[] {
  const rest = [...history.keys.values()]
    .filter((k) => !history.inForce.includes(k.kid))
    .sort((a, b) => b.fromSeq - a.fromSeq)
    .map((k) => k.kid);
  return [...history.inForce, ...rest];
}

export function toPinnedKey(kid: string, jwk: PublicJwk, validity?: KeyValidity): PinnedKey {
  const keyObject = createPublicKey({ key: { ...jwk }, format: 'jwk' });
  return validity ? { kid, jwk, keyObject, validity } : { kid, jwk, keyObject };
}

/** Keys as plain data for the feed-reader thread (src/ingest/decode-batch.ts). */
export function plainKeys(keys: PinnedKeySet): { kid: string; jwk: PublicJwk; validity?: KeyValidity }[] {
  return [...keys.values()].map(({ kid, jwk, validity }) => (validity ? { kid, jwk, validity } : { kid, jwk }));
}
