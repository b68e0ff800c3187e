import { createdAt, signRequest } from '../../src/core/http-signature.js';
import type { SpamxNode } from '../../src/daemon.js';

let offset = 0;

/**
 * A GET of `url` signed (RFC 9421) as `node` signs its federation requests. Ed25519 signatures
 * are deterministic, so two requests for one URL in one second would carry the same signature
 * and the second be refused as a replay: each call here backdates `created` by one more second.
 */
export function signedFetch(node: SpamxNode, url: string, init: { method?: string } = {}): Promise<Response> {
  const method = init.method ?? 'GET';
  const created = createdAt(Date.now()) - (offset++ % 200);
  const h = signRequest({ method, targetUri: url, created, kid: node.identity.kid, privateKey: node.identity.signingKey });
  return fetch(url, { method, headers: { 'signature-input': h.signatureInput, signature: h.signature } });
}

/** A JSON error answer's status and code. */
export async function refusal(res: Response): Promise<{ status: number; code: string }> {
  const body = (await res.json()) as { error?: { code?: string }; code?: string };
  return { status: res.status, code: body.error?.code ?? body.code ?? '' };
}
