import type { KeyObject } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { Peer } from '../config/peers.js';
import type { Requester } from '../core/batch-audience.js';
import { SpamxError } from '../core/errors.js';
import { SeenSignatures } from '../core/seen-signatures.js';
import { keyHistoryOf } from '../store/key-statement-store.js';
import type { Store } from '../store/open-store.js';
import { keySetOf } from '../verify/key-set.js';
import { verifyRequestSignature } from '../verify/verify-request-signature.js';
import type { ServeDeps } from './deps.js';
import { operatorAuth } from './operator-auth.js';

/** The batch routes' context: who asked, for the per-batch rule of core/batch-audience.ts. */
export type FederationEnv = { Variables: { requester: Requester } };

/** How the access state names a requester that is not a pinned partner (schema.ts `partner_access`). */
export const UNSIGNED = 'unsigned';
const unpinned = (kid: string) => `key:${kid}`;

/**
 * Who is asking for batches (PROTOCOL "Partners only: signed federation requests"), set as the
 * context's `requester` for the routes' per-batch rule:
 * - a request with this node's operator token (unsigned, `Authorization: Bearer`) is the
 *   operator's, checked as every operator route checks it (the console, the demo's tooling);
 * - a request signed (RFC 9421) by a key of a pinned peer, current or rotated as its verified
 *   key statements name them, is that partner's. The target URI signed must be one of this
 *   node's own URLs (`publicUrl` or where it listens, then `federation.urls`) with the path and
 *   query received: never the Host header, which the requester chooses;
 * - with `federation.access: "partners"`, anything else is refused with its SIGNATURE_* code
 *   (401, or 403 for an unpinned key); with `public`, it is served as anyone's (`anonymous`),
 *   which the per-batch rule still keeps from restricted labels and mirrored sealed batches.
 * Every outcome is counted per partner for the operator's views (`partner_access`), and
 * refusals in metrics.
 */
export function partnersOnly(deps: ServeDeps): MiddlewareHandler<FederationEnv> {
  // One cache per node: a signature accepted once is refused on every feed after.
  const seen = new SeenSignatures();
  const operator = operatorAuth(deps);
  const count = (partner: string, outcome: string) => deps.metrics?.partnerAccess.count(partner, outcome, deps.clock());
  return async (c, next) => {
    const partnersMode = deps.config.federation.access === 'partners';
    const signed = c.req.header('signature-input') !== undefined || c.req.header('signature') !== undefined;
    if (!signed && c.req.header('authorization')?.startsWith('Bearer ')) {
      c.set('requester', { kind: 'operator' });
      return operator(c, next);
    }
    if (!signed && !partnersMode) {
      c.set('requester', { kind: 'anonymous' });
      return next();
    }
    let kid: string | undefined;
    try {
      kid = signatureKid(c);
      const hit: { peer?: string } = {};
      const keyFor = (k: string) => {
        const found = partnerKey(deps.store, deps.peers?.().values() ?? [], k);
        hit.peer = found?.peer;
        return found?.key;
      };
      verifyRequestSignature(
        { method: c.req.method, targetUris: targetUris(deps, c), signatureInput: c.req.header('signature-input'), signature: c.req.header('signature') },
        { keyFor, now: deps.clock(), seen },
      );
      // verifyRequestSignature returned: keyFor found the key, so hit.peer is set.
      c.set('requester', { kind: 'partner', id: hit.peer! });
      count(hit.peer!, 'ok');
    } catch (err) {
      if (!(err instanceof SpamxError)) throw err;
      const who = kid === undefined ? UNSIGNED : (partnerKey(deps.store, deps.peers?.().values() ?? [], kid)?.peer ?? unpinned(kid));
      count(who, err.code);
      if (partnersMode) {
        deps.metrics?.federationRefused(err.code);
        throw err;
      }
      // A public feed serves a request whose signature fails as it serves an unsigned one (the
      // failure still shows in the requester's access state).
      c.set('requester', { kind: 'anonymous' });
    }
    return next();
  };
}

/** The keyid a request's signature names, read loosely only to say whose the request was. */
function signatureKid(c: Context): string | undefined {
  return /keyid="([^"]{1,100})"/.exec(c.req.header('signature-input') ?? '')?.[1];
}

/** The URIs a partner may have signed: this node's URLs, each with the path and query received. */
function targetUris(deps: ServeDeps, c: Context): string[] {
  const url = new URL(c.req.url);
  const bases = [deps.publicUrl(), ...deps.config.federation.urls];
  return bases.map((base) => `${base.replace(/\/+$/, '')}${url.pathname}${url.search}`);
}

/** The pinned peer holding the key with this kid: a peer file's pins, or a key its verified statements name. */
export function partnerKey(store: Store, pinnedPeers: Iterable<Peer>, kid: string | undefined): { peer: string; key: KeyObject } | undefined {
  if (kid === undefined) return undefined;
  const peers = [...pinnedPeers];
  for (const peer of peers) {
    const pinned = peer.pinned.get(kid);
    if (pinned) return { peer: peer.id, key: pinned.keyObject };
  }
  for (const peer of peers) {
    const key = keySetOf(keyHistoryOf(store, peer.id), peer.pinned).get(kid);
    if (key) return { peer: peer.id, key: key.keyObject };
  }
  return undefined;
}
