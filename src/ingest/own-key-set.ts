import { checkKeyInForce } from '../core/key-history.js';
import { loadIdentity, type Identity } from '../config/identity.js';
import { settleSigningKey } from '../node-files/own-keys.js';
import type { NodePaths } from '../config/paths.js';
import { currentKid, keyHistoryOf } from '../store/key-statement-store.js';
import type { Store } from '../store/open-store.js';
import { keySetOf, toPinnedKey } from '../verify/key-set.js';
import type { PinnedKeySet } from '../verify/pinned-keys.js';

/**
 * This node's signing identity as its key statements say it is now: a rotation another process
 * stored is completed on disk (node-files/own-keys.ts) and the current key loaded.
 */
export async function loadOwnIdentity(paths: NodePaths, store: Store, id: string): Promise<Identity> {
  settleSigningKey(paths, currentKid(store, id));
  return loadIdentity(paths);
}

/** The keys this node's own batches verify with: every key of its history, each for its range. */
export function ownKeySet(store: Store, id: string, identity: Identity): PinnedKeySet {
  return keySetOf(keyHistoryOf(store, id), new Map([[identity.kid, toPinnedKey(identity.kid, identity.publicJwk)]]));
}

/**
 * Called in the transaction that stores an own batch: a rotation committed by another process
 * after the batch was signed makes its key retired for that seq, and receivers would refuse it.
 */
export function assertOwnKeyInForce(store: Store, id: string, kid: string, seq: number): void {
  checkKeyInForce(kid, keyHistoryOf(store, id).keys.get(kid), seq);
}
