import { GeneralSign } from 'jose';
import type { TestKey } from './fake-peer.js';

/**
 * A key statement (README "Key rotation") as anyone could build it with jose's GeneralSign: an
 * RFC 7515 §7.2.1 General JWS over any payload, one signature per key, for forged statements.
 */
export async function generalSignRaw(payload: unknown, signers: readonly TestKey[]): Promise<unknown> {
  const sign = new GeneralSign(new TextEncoder().encode(JSON.stringify(payload)));
  for (const k of signers) sign.addSignature(k.privateKey).setProtectedHeader({ alg: 'EdDSA', kid: k.kid, typ: 'spamx-keys+jws' });
  return sign.sign();
}
