import { CompactSign, type CryptoKey } from 'jose';
import { BATCH_TYP, type BatchPayload } from '../core/batch.js';

/** Signs a batch payload as the compact JWS of PROTOCOL "Batch". */
export async function signBatch(payload: BatchPayload, key: { kid: string; privateKey: CryptoKey }): Promise<string> {
  return new CompactSign(Buffer.from(JSON.stringify(payload), 'utf8'))
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: BATCH_TYP })
    .sign(key.privateKey);
}
