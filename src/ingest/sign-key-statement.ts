import type { KeyObject } from 'node:crypto';
import { ed25519Sign } from '../core/ed25519.js';
import { keyStatementJson, KEYS_TYP, type KeyStatementPayload } from '../core/key-statement.js';

/**
 * Signs a key statement as an RFC 7515 §7.2.1 General JWS JSON Serialization, one signature per
 * key, each over `BASE64URL(protected) '.' BASE64URL(payload)` (§5.1). jose's GeneralSign
 * builds the same, but asynchronously; node:crypto signs synchronously, inside the store
 * transaction that reads the feed head the statement's `fromSeq` depends on.
 */
export function signKeyStatement(payload: KeyStatementPayload, signers: readonly { kid: string; key: KeyObject }[]): string {
  const encodedPayload = Buffer.from(keyStatementJson(payload), 'utf8').toString('base64url');
  const signatures = signers.map(({ kid, key }) => {
    const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid, typ: KEYS_TYP }), 'utf8').toString('base64url');
    const signature = ed25519Sign(key, Buffer.from(`${header}.${encodedPayload}`, 'ascii')).toString('base64url');
    return { protected: header, signature };
  });
  return JSON.stringify({ payload: encodedPayload, signatures });
}
