import type { KeyObject } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Peer } from '../config/peers.js';
import { SpamxError } from '../core/errors.js';
import { SeenSignatures } from '../core/seen-signatures.js';
import { keyHistoryOf } from '../store/key-statement-store.js';
import type { Store } from '../store/open-store.js';
import { keySetOf } from '../verify/key-set.js';
import { verifyRequestSignature } from '../verify/verify-request-signature.js';
import type { ServeDeps } from './deps.js';
import { operatorAuth } from './operator-auth.js';

/**
 * `federation.access: "partners"` (PROTOCOL "Partners only: signed federation requests"): batch
 * downloads are served only to requests signed (RFC 9421) by a key of a pinned peer, current or
 * rotated as its verified key statements name them. The target URI signed is this node's URL
 * (`publicUrl`, or where it listens when that is unset or ephemeral) with the path and query
 * received: never the Host header, which the requester chooses. Refusals answer with their
 * SIGNATURE_* code (401, or 403 for an unpinned key) and are counted. This node's own operator
 * token is accepted too (an unsigned request with `Authorization: Bearer`). With `public` nothing is
 * checked, not even a signature that is sent: a public feed has nothing to protect.
 */
export function partnersOnly(deps: ServeDeps): MiddlewareHandler {
  // One cache per node: a signature accepted once is refused on every feed after.
  const seen = new SeenSignatures();
  const operator = operatorAuth(deps);
  return async (c, next) => {
    if (deps.config.federation.access !== 'partners') return next();
    try {
      // This node's operator (the console, the demo's tooling) reads its feeds with its token:
      // unsigned, with a bearer token, the request is the operator's, checked as every operator
      // route checks it (wrong tokens count against the address).
      const signed = c.req.header('signature-input') !== undefined || c.req.header('signature') !== undefined;
      if (!signed && c.req.header('authorization')?.startsWith('Bearer ')) return await operator(c, next);
      const url = new URL(c.req.url);
      verifyRequestSignature(
        {
          method: c.req.method,
          targetUri: `${deps.publicUrl().replace(/\/+$/, '')}${url.pathname}${url.search}`,
          signatureInput: c.req.header('signature-input'),
          signature: c.req.header('signature'),
        },
        { keyFor: (kid) => partnerKey(deps.store, deps.peers?.().values() ?? [], kid), now: deps.clock(), seen },
      );
    } catch (err) {
      if (err instanceof SpamxError) deps.metrics?.federationRefused(err.code);
      throw err;
    }
    return next();
  };
}

/** The pinned peer key with this kid: a peer file's pins, or a key its verified statements name. */
export function partnerKey(store: Store, pinnedPeers: Iterable<Peer>, kid: string): KeyObject | undefined {
  const peers = [...pinnedPeers];
  for (const peer of peers) {
    const pinned = peer.pinned.get(kid);
    if (pinned) return pinned.keyObject;
  }
  for (const peer of peers) {
    const key = keySetOf(keyHistoryOf(store, peer.id), peer.pinned).get(kid);
    if (key) return key.keyObject;
  }
  return undefined;
}
