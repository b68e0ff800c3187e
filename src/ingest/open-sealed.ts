import { createDecipheriv, createHash, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import { SpamxError } from '../core/errors.js';
import { checkJweProtected, SEAL_ALG, type GeneralJwe, type SealedMember } from '../core/sealed-payload.js';

/** This node's encryption private keys as the feed-reader thread is given them (KeyObjects, posted, never logged). */
export interface OpeningKeys {
  /** This node's centre id: a sealed batch is opened only when its recipients name it. */
  readonly self: string;
  /** The current key first, then retired ones, each with its RFC 7638 thumbprint. */
  readonly keys: readonly { readonly kid: string; readonly privateKey: KeyObject }[];
}

const unreadable = (message: string) => new SpamxError('SEALED_UNREADABLE', message);

/**
 * Decrypts a sealed batch's General JWE (RFC 7516 §7.2.1) with this node's key and returns the
 * inner compact JWS's bytes, then checks they hash to the logged `innerDigest`. Synchronous, with
 * node:crypto, because the reader thread opens the batch between its `begin` and `end` while the
 * storing thread waits (ingest/batch-channel.ts); jose's decryption is asynchronous. The steps
 * are RFC 7518's: ECDH-ES key agreement on X25519 (§4.6, RFC 8037 §3.2) and the Concat KDF
 * (§4.6.2), AES-256 key unwrap of the CEK (§4.4, RFC 3394), AES-256-GCM (§5.3) over the
 * ciphertext with the protected header's ASCII as additional data (RFC 7516 §5.2 step 14).
 *
 * AES-GCM is not key-committing: a publisher could wrap a different CEK for each recipient so
 * that each reads a different plaintext under a valid tag. The digest check is what makes every
 * recipient see the content every other recipient and the log see.
 */
export function openSealed(sealed: SealedMember, keys: OpeningKeys): Buffer {
  return openSealedLeaf(sealed, keys).subarray(1);
}

/**
 * openSealed, the inner JWS returned as 0x00 ‖ its bytes (core/leaf-hash.ts), the form the batch
 * verifier reads large batches in (verify-batch.ts verifyBatchInChunks).
 */
export function openSealedLeaf(sealed: SealedMember, keys: OpeningKeys): Buffer {
  const jwe = sealed.jwe;
  const mine = jwe.recipients.find((r) => keys.keys.some((k) => k.kid === r.header.kid));
  if (!mine) {
    throw unreadable(`sealed to ${keys.self}, but no JWE recipient names one of its encryption keys (${keys.keys.map((k) => k.kid).join(', ') || 'none'})`);
  }
  const key = keys.keys.find((k) => k.kid === mine.header.kid)!;
  const leaf = decrypt(jwe, mine.header, mine.encrypted_key, key.privateKey);
  const digest = createHash('sha256').update(leaf.subarray(1)).digest('base64url');
  if (digest !== sealed.innerDigest) {
    throw new SpamxError('SEALED_DIGEST_MISMATCH', `the inner JWS hashes to ${digest}, the batch logs innerDigest ${sealed.innerDigest}`);
  }
  return leaf;
}

function decrypt(jwe: GeneralJwe, header: GeneralJwe['recipients'][number]['header'], encryptedKey: string, privateKey: KeyObject): Buffer {
  const shared = checkJweProtected(Buffer.from(jwe.protected, 'base64url').toString('utf8'));
  // The ephemeral key: in the recipient's header, or (one recipient, jose's flattened form) the protected one.
  if ((header.epk === undefined) === (shared.epk === undefined)) throw unreadable('the JWE names its ephemeral key ("epk") in neither or both of its headers');
  const ephemeral = (header.epk ?? shared.epk)!;
  let cek: Buffer;
  try {
    const epk = createPublicKey({ key: { ...ephemeral }, format: 'jwk' });
    const z = diffieHellman({ privateKey, publicKey: epk });
    const kek = concatKdf(z, SEAL_ALG, b64(header.apu), b64(header.apv), 256);
    const unwrap = createDecipheriv('id-aes256-wrap', kek, Buffer.from('A6A6A6A6A6A6A6A6', 'hex'));
    cek = Buffer.concat([unwrap.update(b64(encryptedKey)), unwrap.final()]);
  } catch (err) {
    throw unreadable(`the content key does not unwrap with this node's key ${header.kid}: ${(err as Error).message}`);
  }
  if (cek.length !== 32) throw unreadable(`the content key is ${cek.length} bytes; A256GCM takes 32`);
  const iv = b64(jwe.iv);
  const tag = b64(jwe.tag);
  if (iv.length !== 12 || tag.length !== 16) throw unreadable('A256GCM needs a 96-bit iv and a 128-bit tag');
  try {
    const decipher = createDecipheriv('aes-256-gcm', cek, iv, { authTagLength: 16 });
    decipher.setAAD(Buffer.from(jwe.protected, 'ascii'));
    decipher.setAuthTag(tag);
    const ciphertext = strictBase64Url(jwe.ciphertext);
    // Written after a 0x00 byte: the leaf-hash input form, with no copy of 20-odd MB to make it.
    const leaf = Buffer.allocUnsafeSlow(1 + ciphertext.length);
    leaf[0] = 0x00;
    const n = decipher.update(ciphertext).copy(leaf, 1);
    decipher.final();
    if (n !== ciphertext.length) throw new Error('short decryption');
    return leaf;
  } catch (err) {
    if (err instanceof SpamxError) throw err;
    throw unreadable('the ciphertext does not decrypt under its tag with the content key sealed to this node');
  }
}

/**
 * The Concat KDF of NIST SP 800-56A §5.8.1 as RFC 7518 §4.6.2 uses it: one SHA-256 round for a
 * 256-bit key, over round number ‖ Z ‖ AlgorithmID ‖ PartyUInfo ‖ PartyVInfo ‖ SuppPubInfo, each
 * variable-length part prefixed by its 32-bit big-endian length.
 */
export function concatKdf(z: Buffer, alg: string, apu: Buffer, apv: Buffer, bits: number): Buffer {
  const lengthPrefixed = (b: Buffer) => Buffer.concat([uint32(b.length), b]);
  return createHash('sha256')
    .update(uint32(1))
    .update(z)
    .update(lengthPrefixed(Buffer.from(alg, 'ascii')))
    .update(lengthPrefixed(apu))
    .update(lengthPrefixed(apv))
    .update(uint32(bits))
    .digest()
    .subarray(0, bits / 8);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

const b64 = (text: string | undefined) => Buffer.from(text ?? '', 'base64url');

/**
 * The ciphertext's base64url, strictly: Node's decoder skips characters outside the alphabet, so
 * the decoded length is checked against the text's (RFC 7515 §2, no padding).
 */
function strictBase64Url(text: string): Buffer {
  const bytes = Buffer.from(text, 'base64url');
  if (text.length % 4 === 1 || bytes.length !== Math.floor((text.length * 3) / 4) || text.includes('+') || text.includes('/')) {
    throw unreadable('the JWE ciphertext is not base64url');
  }
  return bytes;
}
