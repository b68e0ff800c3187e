import { SpamxError } from '../core/errors.js';
import { KEYS_TYP, MAX_STATEMENT_BYTES, payloadHash } from '../core/key-statement.js';
import { checkCompactJws } from './verify-jws.js';

/** One signature of a key statement, its header checked, its key not yet looked up. */
export interface StatementSignature {
  readonly kid: string;
  readonly signingInput: Buffer;
  readonly signature: Buffer;
}

/** A key statement whose JWS structure and headers passed; nothing of it is trusted yet. */
export interface ParsedStatement {
  readonly payloadBytes: Buffer;
  readonly payloadHash: string;
  readonly signatures: readonly StatementSignature[];
  /** The statement re-serialized from its parts: how this node stores and serves it. */
  readonly text: string;
}

const MAX_SIGNATURES = 8;
const malformed = (message: string) => new SpamxError('JWS_MALFORMED', message);

/**
 * A key statement is an RFC 7515 §7.2.1 General JWS JSON Serialization: `{"payload",
 * "signatures":[{"protected","signature"}]}`. Each signature's signing input is
 * `protected.payload` (§5.1), exactly a compact JWS's, so each runs through the same checks as a
 * batch up to the key lookup (verify-jws.ts): strict base64url, header JSON without duplicate
 * names, alg EdDSA only, typ `spamx-keys+jws`, no crit, no embedded keys. Unprotected `header`
 * members are refused: a verifier would have to trust header data no signature covers.
 */
export function parseKeyStatement(doc: unknown): ParsedStatement {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw malformed('a key statement is a JSON object');
  const { payload, signatures, ...rest } = doc as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw malformed(`a key statement holds only "payload" and "signatures", not ${Object.keys(rest).join(', ')}`);
  if (typeof payload !== 'string') throw malformed('"payload" must be a base64url string');
  if (!Array.isArray(signatures) || signatures.length === 0 || signatures.length > MAX_SIGNATURES) {
    throw malformed(`"signatures" must hold 1 to ${MAX_SIGNATURES} signatures`);
  }
  const parts = signatures.map((raw) => {
    const { protected: header, signature, ...other } = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    if ('header' in other) throw new SpamxError('JWS_BAD_HEADER', 'unprotected header members are not accepted');
    if (typeof header !== 'string' || typeof signature !== 'string' || Object.keys(other).length > 0) {
      throw malformed('each signature is {"protected","signature"}');
    }
    return { header, signature };
  });
  const text = JSON.stringify({ payload, signatures: parts.map((p) => ({ protected: p.header, signature: p.signature })) });
  if (text.length > MAX_STATEMENT_BYTES) throw new SpamxError('JWS_TOO_LARGE', `key statement is ${text.length} bytes; at most ${MAX_STATEMENT_BYTES}`);
  let payloadBytes: Buffer | undefined;
  const checked = parts.map(({ header, signature }) => {
    const jws = checkCompactJws(`${header}.${payload}.${signature}`, KEYS_TYP);
    if (typeof jws.kid !== 'string') throw new SpamxError('JWS_UNKNOWN_KID', 'a key statement signature names no kid');
    payloadBytes = jws.payloadBytes;
    return { kid: jws.kid, signingInput: Buffer.from(jws.signingInput), signature: jws.signature };
  });
  if (new Set(checked.map((s) => s.kid)).size !== checked.length) throw malformed('two signatures name the same kid');
  return { payloadBytes: payloadBytes!, payloadHash: payloadHash(payloadBytes!), signatures: checked, text };
}
