import type { KeyObject } from 'node:crypto';
import { createdAt, signRequest } from '../core/http-signature.js';
import type { RequestSigner } from './http-client.js';

/** What signs a node's requests: its current key and kid (a KeyObject can be posted to a thread). */
export interface SigningKey {
  readonly kid: string;
  readonly key: KeyObject;
}

/**
 * Signs each request with the node's current key at the node's clock (PROTOCOL "Partners only:
 * signed federation requests"): `("@method" "@target-uri");created;keyid;alg="ed25519"`. The
 * target URI is the URL without its userinfo: `user:password@` in a partner's URL travels as an
 * Authorization header, never in the request line the publisher rebuilds its URI from.
 */
export function requestSigner(current: () => SigningKey, clock: () => number): RequestSigner {
  return (method, url) => {
    const { kid, key } = current();
    const target = new URL(url);
    target.username = '';
    target.password = '';
    const headers = signRequest({ method, targetUri: target.href, created: createdAt(clock()), kid, privateKey: key });
    return { 'signature-input': headers.signatureInput, signature: headers.signature };
  };
}
