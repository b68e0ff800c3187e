import { createCipheriv, createHash, createPublicKey, diffieHellman, generateKeyPairSync, randomBytes } from 'node:crypto';
import { MAX_JWS_BYTES, PROTOCOL_VERSION } from '../core/batch.js';
import { SpamxError } from '../core/errors.js';
import type { EncKey } from '../core/key-statement.js';
import { freeNow, ownBuffer } from '../core/free-buffers.js';
import { leafHashOfInput, toBase64Url } from '../core/leaf-hash.js';
import { SEAL_ALG, SEAL_ENC, type JweRecipient, type SealedMember } from '../core/sealed-payload.js';
import { formatTimestamp } from '../core/time.js';
import type { TlpLabel } from '../core/tlp.js';
import type { Store } from '../store/open-store.js';
import type { AuthenticBatch } from './ingest-batch.js';
import { concatKdf } from './open-sealed.js';
import { statedEncKey } from './seal-keys.js';
import { signBatchLeaf } from './sign-batch.js';

/**
 * Entries per sealed batch a publish cuts at most: the outer JWS is about 1.78 times the inner
 * (base64url twice), and half of MAX_BATCH_ENTRIES keeps entries of up to some 400 bytes inside
 * MAX_JWS_BYTES. Receivers accept a sealed batch of up to MAX_BATCH_ENTRIES inner entries.
 */
export const SEALED_MAX_ENTRIES = 50_000;

/** The seq, chain and time an outer batch shares with the inner JWS it seals. */
export interface SealedHead {
  readonly publisher: string;
  readonly seq: number;
  readonly prev: string | null;
  readonly issuedAt: number;
}

/** `{"enc":"A256GCM"}`, the protected header of every sealed batch's JWE, base64url. */
const PROTECTED = Buffer.from(JSON.stringify({ enc: SEAL_ENC })).toString('base64url');
/** RFC 3394 §2.2.3.1's default initial value for AES key wrap. */
const KW_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');

/**
 * Encrypts an inner compact JWS (already signed: sign, then encrypt) to each recipient's X25519
 * key as a General JWE JSON Serialization (RFC 7516 §7.2.1): one random content key and
 * `A256GCM` over the inner JWS with the protected header's ASCII as additional data (§5.1 steps
 * 13-15), and per recipient `ECDH-ES+A256KW` (RFC 7518 §4.6): a fresh ephemeral X25519 key, the
 * Concat KDF, AES key wrap of the content key; its header names the recipient key's thumbprint
 * (`kid`) so it finds its own entry. This is what jose's GeneralEncrypt makes (jose's
 * generalDecrypt opens it, test/unit/sealed-payload.test.ts), with node:crypto: jose took 1.7-2 s
 * for a 24 MB inner JWS, mostly its base64url in JavaScript, against some 0.2 s here
 * (test/bench/README.md "Sealed batches"). Returns the `sealed` member, its `innerDigest` the
 * SHA-256 of the inner JWS bytes.
 */
export function sealInner(innerJws: Uint8Array, recipients: ReadonlyMap<string, EncKey>, tlp: TlpLabel): SealedMember {
  if (recipients.size === 0) throw new SpamxError('BAD_REQUEST', 'a sealed batch needs at least one recipient');
  const cek = randomBytes(32);
  const iv = randomBytes(12);
  const ids = [...recipients.keys()].sort();
  const wrapped: JweRecipient[] = ids.map((id) => {
    const key = recipients.get(id)!;
    const ephemeral = generateKeyPairSync('x25519');
    const z = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: createPublicKey({ key: { ...key.jwk }, format: 'jwk' }) });
    const wrap = createCipheriv('id-aes256-wrap', concatKdf(z, SEAL_ALG, Buffer.alloc(0), Buffer.alloc(0), 256), KW_IV);
    const epk = { kty: 'OKP', crv: 'X25519', x: ephemeral.publicKey.export({ format: 'jwk' }).x! } as const;
    return { header: { alg: SEAL_ALG, kid: key.kid, epk }, encrypted_key: Buffer.concat([wrap.update(cek), wrap.final()]).toString('base64url') };
  });
  const gcm = createCipheriv('aes-256-gcm', cek, iv, { authTagLength: 16 }).setAAD(Buffer.from(PROTECTED, 'ascii'));
  const encrypted = gcm.update(innerJws);
  gcm.final(); // GCM is a stream mode: nothing is held back
  const ciphertext = encrypted.toString('base64url');
  const jwe = { protected: PROTECTED, recipients: wrapped, iv: iv.toString('base64url'), ciphertext, tag: gcm.getAuthTag().toString('base64url') };
  const innerDigest = createHash('sha256').update(innerJws).digest('base64url');
  return { recipients: ids, tlp, innerDigest, jwe };
}

/** Characters of ciphertext per piece handed to signBatchLeaf: its staging buffer stays small. */
const CIPHERTEXT_PIECE = 1 << 20;

/**
 * The outer payload `{spamx, publisher, seq, prev, issuedAt, sealed}` as text pieces, the
 * ciphertext (base64url: nothing to escape) in slices rather than through JSON.stringify, which
 * spent 0.3-0.8 s scanning a 32 MB string for characters to escape.
 */
function* sealedPayloadPieces(head: SealedHead, sealed: SealedMember): Generator<string> {
  const top = JSON.stringify({ spamx: PROTOCOL_VERSION, publisher: head.publisher, seq: head.seq, prev: head.prev, issuedAt: formatTimestamp(head.issuedAt) });
  const { jwe } = sealed;
  const member = JSON.stringify({
    recipients: sealed.recipients,
    tlp: sealed.tlp,
    innerDigest: sealed.innerDigest,
    jwe: { protected: jwe.protected, recipients: jwe.recipients, iv: jwe.iv, ciphertext: '', tag: jwe.tag },
  });
  const at = member.indexOf('"ciphertext":""') + '"ciphertext":"'.length;
  yield `${top.slice(0, -1)},"sealed":${member.slice(0, at)}`;
  for (let i = 0; i < jwe.ciphertext.length; i += CIPHERTEXT_PIECE) yield jwe.ciphertext.slice(i, i + CIPHERTEXT_PIECE);
  yield `${member.slice(at)}}`;
}

/**
 * The outer batch of a sealed one, signed as any batch (sign-batch.ts signBatchLeaf), as 0x00 ‖
 * its compact JWS, the form it is hashed and stored in. Its leaf hash is over this outer JWS, so
 * the log, checkpoints and proofs are those of any batch.
 */
export function signSealedLeaf(head: SealedHead, sealed: SealedMember, key: Parameters<typeof signBatchLeaf>[2]): Buffer {
  // The ciphertext is ASCII (base64url): its bytes are its length, counted without slicing it.
  const [first, ...rest] = [...sealedPayloadPieces({ ...head }, { ...sealed, jwe: { ...sealed.jwe, ciphertext: '' } })];
  const bytes = Buffer.byteLength(first!, 'utf8') + sealed.jwe.ciphertext.length + rest.reduce((n, p) => n + Buffer.byteLength(p, 'utf8'), 0);
  return signBatchLeaf(sealedPayloadPieces(head, sealed), bytes, key);
}

/**
 * Turns a cut batch of this node's own feed (publish-batches.ts: its entries evaluated, its JWS
 * signed as 0x00 ‖ JWS in `innerLeaf`) into the sealed batch that goes into the log: the inner
 * JWS encrypted to the recipients, wrapped in an outer batch of the same seq and prev. The
 * accepted entries are the inner ones (this node applies its own sealed batches); the inner JWS
 * is kept (`sealed.inner`, stored in sealed_inner), so the publisher can always read and prove
 * what it sealed without being one of its recipients.
 */
export async function sealOwnBatch(
  inner: AuthenticBatch,
  innerLeaf: Buffer,
  recipients: ReadonlyMap<string, EncKey>,
  tlp: TlpLabel,
  key: Parameters<typeof signBatchLeaf>[2],
): Promise<{ authentic: AuthenticBatch; leafInput: Buffer }> {
  const innerJws = innerLeaf.subarray(1);
  const sealed = sealInner(innerJws, recipients, tlp);
  const leafInput = signSealedLeaf(inner, sealed, key);
  if (leafInput.length - 1 > MAX_JWS_BYTES) {
    // What every receiver would refuse (PROTOCOL "Batch"); the JWE and its base64url make a
    // sealed batch about 1.8 times its inner JWS.
    throw new SpamxError('JWS_TOO_LARGE', `the sealed batch's JWS is ${leafInput.length - 1} bytes; at most ${MAX_JWS_BYTES} accepted: seal fewer entries at a time`);
  }
  const authentic: AuthenticBatch = {
    ...inner,
    leafHash: toBase64Url(leafHashOfInput(leafInput)),
    jws: leafInput.subarray(1),
    sealed: { recipients: sealed.recipients.join(' '), inner: innerJws.toString('latin1') },
  };
  return { authentic, leafInput };
}

/**
 * publish-batches.ts's step for a queue group sealed to partners (report_queue.recipients): the
 * batch just cut becomes the inner JWS of a sealed one. Each recipient's key is the one its
 * verified key statements name (seal-keys.ts). The inner leaf's buffer is freed once sealed.
 */
export async function sealCut(
  deps: { readonly store: Store; readonly identity: Parameters<typeof signBatchLeaf>[2] },
  cut: { authentic: AuthenticBatch; leafInput: Buffer },
  recipients: string,
  tlp: TlpLabel,
): Promise<{ authentic: AuthenticBatch; leafInput: Buffer }> {
  try {
    const keys = new Map<string, EncKey>();
    for (const id of recipients.split(' ')) {
      const enc = statedEncKey(deps.store, id);
      if (!enc) throw new SpamxError('CONFLICT', `reports are queued sealed to ${id}, but no verified key statement of ${id} names an encryption key; pull its feed once`);
      keys.set(id, enc);
    }
    return await sealOwnBatch(cut.authentic, cut.leafInput, keys, tlp, deps.identity);
  } finally {
    const own = ownBuffer(cut.leafInput);
    if (own) freeNow([own]);
  }
}
